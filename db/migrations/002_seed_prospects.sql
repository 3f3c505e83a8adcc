-- The three test prospects of the source plan; later replaced by the CRM.
INSERT INTO prospects (id, telegram_id, name, context, status, email, notes, language) VALUES
    ('test_prospect_001', '@test_buyer_alex', 'Алексей Петров',
     'Интересуется виллой в Чангу, бюджет $300-500k', 'unreached',
     'alex.petrov@gmail.com', 'Видел рекламу в Instagram', 'ru'),
    ('test_prospect_002', '@test_investor_maria', 'Мария Козлова',
     'Инвестор, рассматривает апартаменты для сдачи в аренду', 'unreached',
     'm.kozlova@yandex.ru', 'Рекомендация от существующего клиента', 'ru'),
    ('test_prospect_003', '@test_family_dmitry', 'Дмитрий Новиков',
     'Семья с детьми, ищут дом для переезда на Бали', 'unreached',
     'd.novikov@mail.ru', 'Планирует переезд через 6 месяцев', 'ru')
ON CONFLICT (id) DO NOTHING;
