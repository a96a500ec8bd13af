/* Handlungsraum labels of the Raumatlas map, placed in the frame as it really is (loaded before raumatlas_map.js).
 *
 * The app sends each label with the point it belongs to (dashboard/label_layout.py placed it for the
 * smallest frame it expects; the anchor is where the leader line starts, or the label's own spot).
 * Here the same greedy placement runs in screen pixels of this frame: every label's real box
 * (measured), the anchors where Leaflet draws them now, the map's controls as obstacles. It runs
 * again after every move, zoom and resize, so at 390 px or beside a profile no two labels overlap
 * and none leaves the frame. A label moved off its anchor gets a leader line back to it.
 */
window.raumatlasLabels = (function () {
  "use strict";

  var GAP = 4;  // px between two label boxes
  var EDGE = 2;  // px between a label box and the frame's edge
  var LEADER_STYLE = {color: "#111111", weight: 1.5, opacity: 0.9, interactive: false};
  var LEADER_DOT = {radius: 3, color: "#111111", weight: 1, fillColor: "#ffffff", fillOpacity: 1, interactive: false};

  function overlap(a, b, gap) {  // boxes [left, top, right, bottom]; area by which they (grown by gap) overlap
    var w = Math.min(a[2], b[2]) - Math.max(a[0], b[0]) + gap, h = Math.min(a[3], b[3]) - Math.max(a[1], b[1]) + gap;
    return w > 0 && h > 0 ? w * h : 0;
  }

  function candidates(lab) {  // nearest to the anchor first; vertical moves cost less (as label_layout._candidates)
    var dx = 16, dy = lab.h / 2 + 1, grid = [], reach = 12;
    for (var i = -reach; i <= reach; i++) { for (var j = -reach; j <= reach; j++) { grid.push([i * dx, j * dy]); } }
    grid.sort(function (a, b) {
      return (Math.hypot(a[0] * 0.8, a[1]) - Math.hypot(b[0] * 0.8, b[1])) || (Math.abs(a[0]) - Math.abs(b[0])) ||
        (a[1] - b[1]);
    });
    return grid.map(function (o) { return [lab.x + o[0], lab.y + o[1]]; });
  }

  /* labels: [{x, y (anchor, px), w, h}] in priority order -> [{x, y (box centre), leader}]. Deterministic. */
  function place(labels, width, height, obstacles) {
    var placed = [];
    return labels.map(function (lab) {
      var best = null, bestCost = Infinity, cands = candidates(lab);
      for (var k = 0; k < cands.length; k++) {
        var hw = lab.w / 2 + EDGE, hh = lab.h / 2 + EDGE;  // inside the frame, with a pixel for Leaflet's rounding
        var x = Math.min(Math.max(cands[k][0], hw), Math.max(width - hw, hw));
        var y = Math.min(Math.max(cands[k][1], hh), Math.max(height - hh, hh));
        var box = [x - lab.w / 2, y - lab.h / 2, x + lab.w / 2, y + lab.h / 2], cost = 0;
        placed.forEach(function (p) { cost += overlap(box, p, GAP); });
        obstacles.forEach(function (o) { cost += overlap(box, o, 0); });
        if (cost < bestCost) { best = [x, y, box]; bestCost = cost; }
        if (cost === 0) { break; }
      }
      placed.push(best[2]);
      return {x: best[0], y: best[1], leader: Math.abs(best[0] - lab.x) > lab.w / 2 || Math.abs(best[1] - lab.y) > lab.h / 2};
    });
  }

  function controlBoxes(map) {  // zoom buttons, scale, attribution: where they really are in this frame
    var origin = map.getContainer().getBoundingClientRect();
    return Array.prototype.map.call(map.getContainer().querySelectorAll(".leaflet-control"), function (c) {
      var r = c.getBoundingClientRect();
      return [r.left - origin.left, r.top - origin.top, r.right - origin.left, r.bottom - origin.top];
    }).filter(function (b) { return b[2] > b[0] && b[3] > b[1]; });
  }

  /* items: [{tip: L.Tooltip (on the map), anchor: [lat, lon]}]; leaders: an L.LayerGroup for the lines.
   * A label whose anchor is outside the frame (the user zoomed in elsewhere) is hidden, not pinned to the edge. */
  function layout(map, items, leaders) {
    var size = map.getSize();
    if (!items.length || size.x < 10 || size.y < 10) { return false; }
    var boxes = [], shown = [];
    for (var i = 0; i < items.length; i++) {
      var el = items[i].tip.getElement();
      if (!el) { return false; }  // not drawn yet
      var p = map.latLngToContainerPoint(items[i].anchor);
      var inside = p.x >= 0 && p.y >= 0 && p.x <= size.x && p.y <= size.y;  // zoomed in: others' areas are away
      el.style.display = inside ? "" : "none";
      if (!inside) { continue; }
      if (!el.offsetWidth) { return false; }
      boxes.push({x: p.x, y: p.y, w: el.offsetWidth, h: el.offsetHeight});
      shown.push(items[i]);
    }
    var spots = place(boxes, size.x, size.y, controlBoxes(map));
    leaders.clearLayers();
    spots.forEach(function (s, k) {
      var at = map.containerPointToLatLng([s.x, s.y]);
      shown[k].tip.setLatLng(at);
      if (s.leader) {
        leaders.addLayer(L.polyline([shown[k].anchor, at], LEADER_STYLE));
        leaders.addLayer(L.circleMarker(shown[k].anchor, LEADER_DOT));
      }
    });
    window.raumatlas.labelLayouts = (window.raumatlas.labelLayouts || 0) + 1;
    document.body.setAttribute("data-ra-label-width", String(size.x));  // tests wait for the frame's real width
    return true;
  }

  return {place: place, layout: layout};
}());
