"""Providers: the one table, its resolution into an agent's endpoint, and its diagnostics."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from dagent_gen.definition import Definition
from dagent_gen.diagnostics import Diagnostic
from dagent_gen.load import load_definition
from dagent_gen.model import OPENAI_ENDPOINT
from dagent_gen.providers import NO_KEY, PROVIDERS, resolve, suggestion, table, with_table
from dagent_gen.runtime import llm
from dagent_gen.runtime.agent_spec import AgentSpec
from dagent_gen.validate import validate

DOC = Path(__file__).parents[2] / "docs" / "providers.md"


def run(tmp_path: Path, text: str) -> tuple[Definition | None, list[Diagnostic]]:
    path = tmp_path / "dagent.toml"
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    data, source, problems = load_definition(path)
    assert problems == [] and data is not None
    return validate(data, source)


def test_the_docs_table_is_current() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert with_table(text) == text, (
        "docs/providers.md is stale: run `uv run python -m dagent_gen.providers docs/providers.md`"
    )
    assert table() in text
    for name in PROVIDERS:
        assert f"| `{name}:` |" in text


@pytest.mark.parametrize(
    ("model", "base_url", "key"),
    [
        ("openai:gpt-4o", "https://api.openai.com/v1", "OPENAI_API_KEY"),
        ("anthropic:claude-sonnet-4-5", "https://api.anthropic.com/v1/", "ANTHROPIC_API_KEY"),
        (
            "gemini:gemini-2.5-flash",
            "https://generativelanguage.googleapis.com/v1beta/openai/",
            "GEMINI_API_KEY",
        ),
        ("ollama:llama3.1:8b", "http://localhost:11434/v1", None),
        ("openrouter:meta-llama/llama-3.1-8b-instruct:free", "https://openrouter.ai/api/v1", None),
        ("groq:llama-3.1-8b-instant", "https://api.groq.com/openai/v1", "GROQ_API_KEY"),
    ],
)
def test_each_prefix_resolves_to_its_endpoint_and_key(
    model: str, base_url: str, key: str | None
) -> None:
    endpoint = resolve(model, None, None)
    assert endpoint.model == model.partition(":")[2]  # later colons and slashes stay
    assert endpoint.default_base_url == base_url
    assert endpoint.base_url is None
    prefix = model.partition(":")[0]
    if prefix == "openrouter":
        key = "OPENROUTER_API_KEY"
    assert endpoint.api_key_env == key
    assert endpoint.base_url_env == f"{prefix.upper()}_BASE_URL"


def test_the_agents_keys_override_the_provider() -> None:
    endpoint = resolve("anthropic:c", "https://proxy.example/v1", "PROXY_KEY")
    assert (endpoint.base_url, endpoint.api_key_env) == ("https://proxy.example/v1", "PROXY_KEY")
    assert endpoint.default_base_url == "https://api.anthropic.com/v1/"
    generic = resolve("openai-compatible:m", "http://h:8000/v1", None)
    assert (generic.base_url, generic.api_key_env, generic.base_url_env) == (
        "http://h:8000/v1",
        None,
        None,
    )


def test_the_runtime_defaults_are_the_openai_provider() -> None:
    """AgentSpec's defaults (the generated agents.py writes only what differs) and the runtime's
    placeholder key repeat the generator's table: the runtime cannot import dagent_gen."""
    spec = AgentSpec(name="a", model="m", tools=())
    assert spec.base_url == OPENAI_ENDPOINT.base_url
    assert spec.api_key_env == OPENAI_ENDPOINT.api_key_env
    assert spec.base_url_env == OPENAI_ENDPOINT.base_url_env
    assert spec.default_base_url == OPENAI_ENDPOINT.default_base_url
    assert llm.NO_KEY == NO_KEY


def test_the_runtime_picks_the_agents_url_then_the_variable_then_the_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    spec = AgentSpec(
        name="a",
        model="m",
        tools=(),
        api_key_env=None,
        base_url_env="OLLAMA_BASE_URL",
        default_base_url="http://localhost:11434/v1",
    )
    monkeypatch.delenv("OLLAMA_BASE_URL", raising=False)
    client = llm._client(spec)
    assert str(client.base_url) == "http://localhost:11434/v1/"
    assert client.api_key == NO_KEY
    monkeypatch.setenv("OLLAMA_BASE_URL", "http://gpu-box:11434/v1")
    assert str(llm._client(spec).base_url) == "http://gpu-box:11434/v1/"
    own = AgentSpec(name="a", model="m", tools=(), base_url="http://own/v1", api_key_env="K")
    monkeypatch.setenv("K", "secret")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://ignored/v1")
    client = llm._client(own)
    assert (str(client.base_url), client.api_key) == ("http://own/v1/", "secret")


def test_close_prefixes_are_suggested() -> None:
    assert suggestion("antropic") == "anthropic"
    assert suggestion("OpenRouter") == "openrouter"
    assert suggestion("gemeni") == "gemini"
    assert suggestion("grok") == "groq"
    assert suggestion("vllm") is None


def test_a_price_names_a_known_provider(tmp_path: Path) -> None:
    text = """
    [project]
    package = "agents"
    [project.prices."gpt-4o"]
    input_per_million = 1
    [project.prices."antropic:claude"]
    input_per_million = 1
    [agents.main]
    """
    definition, found = run(tmp_path, text)
    assert definition is None
    assert [(d.code, d.location.line, d.message, d.hint) for d in found] == [  # type: ignore[union-attr]
        ("DG211", 3, "price 'gpt-4o' does not name its provider",
         'key prices by the agents\' model, e.g. "openai:gpt-4o"'),
        ("DG211", 5, "price 'antropic:claude': unknown provider", "did you mean 'anthropic'?"),
    ]  # fmt: skip
    negative = '[project]\npackage = "a"\n[project.prices."openai:x"]\noutput_per_million = -1\n'
    [problem] = run(tmp_path, negative + "[agents.main]\n")[1]
    assert (problem.code, problem.location.line) == ("DG202", 4)  # type: ignore[union-attr]
    assert "greater than or equal to 0 (got -1)" in problem.message


def test_a_cost_budget_needs_every_reachable_model_priced(tmp_path: Path) -> None:
    text = """
    [project]
    package = "agents"
    [project.prices."openai:gpt-4o"]
    input_per_million = 2.5
    output_per_million = 10
    [agents.main]
    model = "openai:gpt-4o"
    max_cost_usd = 1
    subagents = ["helper"]
    [agents.helper]
    model = "groq:llama"
    subagents = ["deeper"]
    [agents.deeper]
    model = "ollama:qwen"
    """
    definition, found = run(tmp_path, text)
    assert definition is None
    [problem] = found
    assert (problem.code, problem.location.line) == ("DG202", 8)  # type: ignore[union-attr]
    assert problem.message == (
        "max_cost_usd needs a price for every model the run may use; none for "
        "'groq:llama', 'ollama:qwen'"
    )
    assert problem.hint == (
        'add [project.prices."groq:llama"] with input_per_million and output_per_million (USD)'
    )
    priced = text.replace(
        "[agents.main]",
        '[project.prices."groq:llama"]\n    [project.prices."ollama:qwen"]\n    [agents.main]',
    )
    assert run(tmp_path, priced)[1] == []


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("max_cost_usd = 0", "max_cost_usd must be a positive number of dollars, not 0"),
        ("max_cost_usd = -1.5", "max_cost_usd must be a positive number of dollars, not -1.5"),
        ("max_cost_usd = inf", "max_cost_usd must be a positive number of dollars, not inf"),
        ("max_total_tokens = 0", "invalid value for max_total_tokens in [agents.main]: Input "
         "should be greater than or equal to 1 (got 0)"),
    ],
)  # fmt: skip
def test_budget_ranges(tmp_path: Path, line: str, message: str) -> None:
    definition, found = run(tmp_path, f'[project]\npackage = "agents"\n[agents.main]\n{line}\n')
    assert definition is None
    [problem] = found
    assert problem.message.startswith(message), problem.message
    assert problem.location.line == 4  # type: ignore[union-attr]


def test_the_python_form_takes_prices_and_budgets(tmp_path: Path) -> None:
    (tmp_path / "dagent.py").write_text(
        textwrap.dedent(
            """
            from dagent_gen import Agent, Project

            project = Project(
                "priced",
                prices={"groq:llama": {"input_per_million": 0.05, "output_per_million": 0.08}},
                agents=[Agent("main", model="groq:llama", max_cost_usd=0.5, max_total_tokens=9)],
            )
            """
        ),
        encoding="utf-8",
    )
    data, source, problems = load_definition(tmp_path / "dagent.py")
    assert problems == [] and data is not None
    definition, found = validate(data, source)
    assert found == [] and definition is not None
    assert definition.project.prices["groq:llama"].output_per_million == 0.08
    agent = definition.agents["main"]
    assert (agent.max_cost_usd, agent.max_total_tokens) == (0.5, 9)
