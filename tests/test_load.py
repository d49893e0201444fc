"""The load benchmark's plans: what it claims to open is what it opens (distinct where it says so, and valid)."""

from benchmarks.load import distinct_configs, page_configs, session_params, url


def test_half_the_sessions_share_one_url_and_the_rest_each_have_their_own() -> None:
    urls = [url("http://app", page, params) for page, params in session_params(20)]
    assert len(set(urls[:10])) == 1
    assert len(set(urls[10:])) == 10 and urls[0] not in urls[10:]


def test_memory_plan_trains_distinct_valid_settings() -> None:
    requests = [page_configs(page, params) for page, params in distinct_configs(500)]
    assert len(set(requests)) == 500  # each a different cache entry: RunConfig.from_params validated every config
    assert {len(configs) for configs in requests} == {2, 3}  # two rates on the lr page, three batch sizes compared
