"""Outdoor weather for a site on the Loess Plateau (eastern Gansu, ~1,400 m): season, days, noise.

Daily mean temperature follows the season (about -6 °C in January, 22 °C in July) plus weather
spells (an AR(1) anomaly); each day has its own diurnal amplitude (clear days swing more) with the
minimum near sunrise and the maximum mid-afternoon.  Relative humidity moves against temperature.
"""

from __future__ import annotations

import numpy as np

DAY = 86400.0


class Weather:
    def __init__(self, rng: np.random.Generator, start_s: float, end_s: float) -> None:
        n = int((end_s - start_s) // DAY) + 3
        self.day0 = float(np.floor(start_s / DAY) * DAY)
        self.noon_s = self.day0 + DAY * (np.arange(n) + 0.5)
        anomaly = np.zeros(n)
        for i in range(1, n):
            anomaly[i] = 0.7 * anomaly[i - 1] + rng.normal(0, 2.2)
        doy = (self.noon_s / DAY) % 365.25
        self.mean_c = 8.0 + 14.0 * np.sin(2 * np.pi * (doy - 105.0) / 365.25) + anomaly
        self.amplitude_c = rng.uniform(3.0, 8.0, n)
        self.humid = rng.uniform(-10.0, 15.0, n)  # rainy vs dry days

    def _daily(self, arr: np.ndarray, t_s: np.ndarray) -> np.ndarray:
        return np.interp(t_s, self.noon_s, arr)

    def temp_c(self, t_s: np.ndarray, utc_offset_s: float) -> np.ndarray:
        local_h = ((t_s + utc_offset_s) % DAY) / 3600.0
        return self._daily(self.mean_c, t_s) + self._daily(self.amplitude_c, t_s) * np.cos(
            2 * np.pi * (local_h - 15.0) / 24.0
        )

    def rh_pct(self, t_s: np.ndarray, utc_offset_s: float) -> np.ndarray:
        """Outdoor humidity: high at dawn, low in the afternoon; the region is semi-arid."""
        local_h = ((t_s + utc_offset_s) % DAY) / 3600.0
        rh = 55.0 + self._daily(self.humid, t_s) - 15.0 * np.cos(2 * np.pi * (local_h - 15.0) / 24.0)
        return np.clip(rh, 10.0, 100.0)
