"""Open report pages in a real headless Chromium (selenium + chromedriver) and check them:
the page loads, every ``<img>`` decodes (``naturalWidth > 0``), the console has no errors."""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from routerlab.errors import ConfigError

# Flags that let Chromium run headless in a container without sandbox, GPU or network chatter.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,1600",
)
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
DRIVER_NAMES = ("chromedriver",)


@dataclass
class PageCheck:
    page: str
    title: str
    images: int
    broken_images: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.title) and not self.broken_images and not self.console_errors


def find_browser() -> tuple[str, str] | None:
    """(chromium, chromedriver) paths, or None when either is not installed."""
    browser = next((p for n in CHROMIUM_NAMES if (p := shutil.which(n))), None)
    driver = next((p for n in DRIVER_NAMES if (p := shutil.which(n))), None)
    return (browser, driver) if browser and driver else None


def check_pages(pages: list[Path], *, screenshot: Path | None = None) -> list[PageCheck]:
    """Load each page from disk in headless Chromium; ``screenshot`` saves the first page."""
    found = find_browser()
    if found is None:
        raise ConfigError(
            "chromium and chromedriver are needed to check the report "
            "(Debian: apt-get install -y chromium chromium-driver)"
        )
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    browser, driver_path = found
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    with tempfile.TemporaryDirectory(prefix="routerlab-chromium-") as profile:
        options.add_argument(f"--user-data-dir={profile}")
        driver = webdriver.Chrome(service=Service(driver_path), options=options)
        try:
            checks = [_check(driver, page) for page in pages]
            if screenshot is not None and pages:
                driver.get(pages[0].resolve().as_uri())
                _wait_loaded(driver)
                screenshot.parent.mkdir(parents=True, exist_ok=True)
                driver.save_screenshot(str(screenshot))
        finally:
            driver.quit()
    return checks


def _wait_loaded(driver: Any) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, 30).until(
        lambda d: d.execute_script(
            "return document.readyState === 'complete' && "
            "Array.from(document.images).every(i => i.complete)"
        )
    )


def _check(driver: Any, page: Path) -> PageCheck:
    driver.get_log("browser")  # drop entries of earlier pages
    driver.get(page.resolve().as_uri())
    _wait_loaded(driver)
    images = driver.execute_script(
        "return Array.from(document.images).map(i => [i.alt || i.src.slice(0, 60), i.naturalWidth])"
    )
    errors = [
        entry["message"] for entry in driver.get_log("browser") if entry.get("level") == "SEVERE"
    ]
    return PageCheck(
        page=page.name,
        title=driver.title,
        images=len(images),
        broken_images=[str(name) for name, width in images if not width],
        console_errors=errors,
    )
