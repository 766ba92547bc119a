"""A live pass and the whole run agree on episodes: an event still going on when a pass begins is
not alerted again by it (the alarms of the days before its first verdict carry the episode on)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from analytics.detector import analysis, detect, detect_live
from tests.analytics.suite import suite_frame


@pytest.mark.parametrize("lead_hours", [analysis.EPISODE_LEAD_HOURS, 0], ids=["kept", "without"])
def test_a_feed_drop_going_on_for_days_is_not_alerted_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, lead_hours: int
) -> None:
    frame = suite_frame(tmp_path, "suite-7-3")  # seed 7's third scenario of `eggwatch evaluate`
    whole = {(a.house, a.kind, a.detected_at) for a in detect(frame)}
    # A pass ending 09-20 12:00: its first verdict is after the feed fall's episode began, and its
    # day holds that fall coming back, 09-19 17:00, within the episode.
    end = frame.index_of(datetime(2025, 9, 20, 12, tzinfo=UTC))
    monkeypatch.setattr(analysis, "EPISODE_LEAD_HOURS", lead_hours)
    live = {(a.house, a.kind, a.detected_at) for a in detect_live(frame.head(end), window_hours=24)}
    again = ("house-04", "feed_drop", datetime(2025, 9, 19, 17, tzinfo=UTC))
    if lead_hours:
        assert live <= whole and again not in live
    else:  # without the lead-in's alarms: alerted a second time (what the lead guards against)
        assert again in live and again not in whole
