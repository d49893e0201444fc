"""The load benchmark's plans: what it claims to open is what it opens (distinct where it says so, and valid)."""

from urllib.parse import parse_qs, urlsplit

from benchmarks.load import distinct_configs, session_params, url
from core.config import RunConfig


def test_half_the_sessions_share_one_url_and_the_rest_each_have_their_own() -> None:
    urls = [url("http://app", page, params) for page, params in session_params(20)]
    assert len(set(urls[:10])) == 1
    assert len(set(urls[10:])) == 10 and urls[0] not in urls[10:]


def test_memory_plan_opens_distinct_valid_settings() -> None:
    plan = distinct_configs(500)
    urls = {url("http://app", page, params) for page, params in plan}
    assert len(urls) == 500
    for address in urls:
        query = parse_qs(urlsplit(address).query)
        for rate in query.pop("lr"):  # one run per learning rate, each a config the app accepts
            RunConfig.from_params({"lr": rate, **{key: values[0] for key, values in query.items() if key != "lang"}})
