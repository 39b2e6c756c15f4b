"""Secrets are masked in what is printed and stored, never in what the code receives."""

from ba3l import Experiment, invoke
from ba3l.config import is_secret_key, mask_secrets, mask_url


def test_secret_keys_are_told_by_their_words():
    assert all(map(is_secret_key, ["password", "db_password", "hf_token", "apiKey", "wandb_api_key", "secret"]))
    assert not any(map(is_secret_key, ["tokenizer", "max_tokens", "lr", "author", "path"]))


def test_url_credentials_are_masked_wherever_they_appear():
    assert mask_url("postgresql+psycopg://ba3l:pw@127.0.0.1:5432/runs") == "postgresql+psycopg://ba3l:***@127.0.0.1:5432/runs"
    assert mask_url("https://ghp_abc@github.com/me/x.git") == "https://***@github.com/me/x.git"
    assert mask_url("see http://a:b@h/x, then https://c:d@e") == "see http://a:***@h/x, then https://c:***@e"
    assert mask_url("http://host:8080/path") == "http://host:8080/path"


def test_a_config_tree_is_masked_in_a_copy():
    tree = {"db": {"password": "pw", "url": "mysql://u:p@h/d", "token": None}, "sizes": ["s3://k:s@b/x"]}
    assert mask_secrets(tree) == {"db": {"password": "***", "url": "mysql://u:***@h/d", "token": None},
                                  "sizes": ["s3://k:***@b/x"]}
    assert tree["db"]["password"] == "pw"


def test_print_config_and_help_mask_but_the_code_gets_the_secret():
    ex = Experiment("secrets")

    @ex.config
    def config():
        api_key = "sk-123"  # the service's key
        server = "https://me:pw@example.org/api"

    @ex.main
    def main(api_key, server):
        return api_key, server

    printed = invoke(ex, "print_config").stdout
    assert "api_key = '***'" in printed and "https://me:***@example.org/api" in printed
    assert "sk-123" not in printed and "pw@" not in printed
    helped = invoke(ex, "--help").stdout
    assert "sk-123" not in helped and "pw@" not in helped
    assert invoke(ex, "-u").run.result == ("sk-123", "https://me:pw@example.org/api")
