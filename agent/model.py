"""The model, built from settings at run time."""

from __future__ import annotations

from openai import AsyncOpenAI
from pydantic_ai.models.openai import OpenAIChatModel
from pydantic_ai.providers.openai import OpenAIProvider

from agent.settings import Settings


class ModelNotConfigured(RuntimeError):
    pass


def build_model(settings: Settings) -> OpenAIChatModel:
    """Chat Completions, which OpenAI and every OpenAI-compatible server speak."""
    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else None
    if key is None and settings.openai_base_url is None:
        raise ModelNotConfigured(
            "No model configured: set OPENAI_API_KEY (and SALESBOT_MODEL, default "
            f"{settings.salesbot_model}), or OPENAI_BASE_URL for an OpenAI-compatible server "
            "such as Ollama (http://localhost:11434/v1)."
        )
    client = AsyncOpenAI(
        base_url=settings.openai_base_url,
        api_key=key or "not-needed",
        timeout=settings.model_timeout_seconds,
        max_retries=settings.model_retries,
    )
    provider = OpenAIProvider(openai_client=client)
    return OpenAIChatModel(settings.salesbot_model, provider=provider)
