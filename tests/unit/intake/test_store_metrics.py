"""The store-wide metrics are computed at most once per period, however
often they are scraped."""

from services.intake.ops.store_metrics import StoreCollector


class Counting(StoreCollector):
    def __init__(self, **kw):
        super().__init__(pool=None, **kw)
        self.computed = 0

    def _compute(self):
        self.computed += 1
        return [f"family-{self.computed}"]


def test_scrapes_within_the_period_reuse_the_figures():
    now = [100.0]
    collector = Counting(ttl_s=5, clock=lambda: now[0])
    assert collector.collect() == ["family-1"]
    now[0] += 4.9
    assert collector.collect() == ["family-1"]
    assert collector.computed == 1
    now[0] += 0.2
    assert collector.collect() == ["family-2"]
    assert collector.computed == 2
