-- What the scheduler needs: when an event may be delivered to a rep (after their quiet hours,
-- in their timezone), and indexes for the due-work queries it runs every tick.
CREATE FUNCTION salesbot_after_quiet(at timestamptz, tz text, q_start time, q_end time)
RETURNS timestamptz LANGUAGE sql STABLE AS $$
    SELECT CASE
        WHEN q_start IS NULL OR q_end IS NULL OR q_start = q_end THEN at
        WHEN q_start > q_end THEN  -- across midnight, e.g. 21:00-09:00
            CASE
                WHEN (at AT TIME ZONE tz)::time >= q_start
                    THEN ((at AT TIME ZONE tz)::date + 1 + q_end) AT TIME ZONE tz
                WHEN (at AT TIME ZONE tz)::time < q_end
                    THEN ((at AT TIME ZONE tz)::date + q_end) AT TIME ZONE tz
                ELSE at
            END
        WHEN (at AT TIME ZONE tz)::time >= q_start AND (at AT TIME ZONE tz)::time < q_end
            THEN ((at AT TIME ZONE tz)::date + q_end) AT TIME ZONE tz
        ELSE at
    END
$$;

CREATE INDEX prospects_contacted_silent ON prospects (last_contact_at)
    WHERE status = 'contacted';
CREATE INDEX prospects_unreached_assigned ON prospects (assigned_at)
    WHERE status = 'unreached' AND assigned_rep_id IS NOT NULL;
CREATE INDEX reps_pending_since ON reps (registered_at) WHERE status = 'pending';
CREATE INDEX reps_calendar_missing ON reps (approved_at)
    WHERE status = 'active' AND calendar_connected_at IS NULL;
