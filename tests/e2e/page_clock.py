"""Time the app inside the browser: from the user's input (or the navigation) to both maps drawn.

A driver-side stopwatch around Playwright calls also counts Playwright's own work: an
``option.click()`` scrolls, waits for the element to be stable and round-trips to the browser
(~0.1 s on the 2-core machine) before the page sees any input, and every wait polls. The
clock here is the page's own, ``performance.timeOrigin + performance.now()``, a wall clock
shared by the page and its frames:

* a script added to the main document (``INIT_JS``, via ``BrowserContext.add_init_script``
  before the page opens; Chromium does not run it in the component frames) stamps each
  ``pointerdown`` (the user's input) and each change of the legends' text under the maps;
* each map component stamps its own renders (``window.raumatlas.renderTimes``, pushed after
  the polygons are drawn and coloured: ``dashboard/map_component/raumatlas_map.js``).

:func:`change_seconds` and :func:`open_seconds` read the stamps after the caller's usual waits
(``wait_legends_change``/``wait_renders``/``wait_maps_drawn``) have returned.
"""

from __future__ import annotations

from tests.e2e.harness import LEGEND, MAP_FRAME

INIT_JS = f"""(() => {{
  const now = () => performance.timeOrigin + performance.now();
  window.__raClock = {{inputs: [], legends: []}};
  const clock = window.__raClock;
  const legendText = () => Array.from(document.querySelectorAll({LEGEND!r})).map(e => e.textContent).join("\\u241e");
  document.addEventListener("pointerdown", () => clock.inputs.push(now()), true);
  const watch = () => {{
    let last = legendText();
    new MutationObserver(() => {{
      const text = legendText();
      if (text !== last) {{ last = text; clock.legends.push([now(), document.querySelectorAll({LEGEND!r}).length]); }}
    }}).observe(document.body, {{subtree: true, childList: true, characterData: true}});
  }};
  if (document.body) watch(); else document.addEventListener("DOMContentLoaded", watch);
}})()"""


_RENDER_TIMES_JS = "() => (window.raumatlas && window.raumatlas.renderTimes) || []"


def _frames(page, n: int) -> list:  # noqa: ANN001
    frames = []
    for i in range(n):
        handle = page.locator(MAP_FRAME).nth(i).element_handle(timeout=5_000)
        frame = handle.content_frame() if handle is not None else None
        if frame is None:
            raise RuntimeError(f"map frame {i} has no document")
        frames.append(frame)
    return frames


def change_seconds(page, maps: int = 2) -> float:  # noqa: ANN001
    """Seconds from the last ``pointerdown`` to the later of: both legends changed, every map re-rendered.

    Call after the waits for the change have returned (so every stamp exists).

    Raises:
        RuntimeError: no input was stamped, or a map or the legends have no stamp after it.
    """
    inputs = page.evaluate("() => window.__raClock.inputs")
    if not inputs:
        raise RuntimeError("no pointerdown stamped: was INIT_JS added to the context before the page opened?")
    t0 = inputs[-1]
    legends = [t for t, count in page.evaluate("() => window.__raClock.legends") if t > t0 and count >= maps]
    ends = []
    for i, frame in enumerate(_frames(page, maps)):
        after = [t for t in frame.evaluate(_RENDER_TIMES_JS) if t > t0]
        if not after:
            raise RuntimeError(f"map {i} has no render after the input")
        ends.append(after[0])
    if legends:  # legends drawn in the main document (inside the frames they change with the render)
        ends.append(legends[-1])
    return (max(ends) - t0) / 1000


def open_seconds(page, maps: int = 2) -> float:  # noqa: ANN001
    """Seconds from the page's navigation start to every map's first render (call after ``wait_maps_drawn``)."""
    origin = page.evaluate("() => performance.timeOrigin")
    firsts = []
    for i, frame in enumerate(_frames(page, maps)):
        renders = frame.evaluate(_RENDER_TIMES_JS)
        if not renders:
            raise RuntimeError(f"map {i} has no render stamp")
        firsts.append(renders[0])
    return (max(firsts) - origin) / 1000
