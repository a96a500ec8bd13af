/* Many project markers on one canvas (loaded before raumatlas_map.js).
 *
 * Past dashboard/project_markers.py's SVG_LIMIT a file may bring up to 100,000 projects. One Leaflet
 * circleMarker per project costs about a second to create, another to draw, ~1 KB of memory each, and
 * Leaflet's canvas hit-tests every marker on every mouse move; while it works, the page around the
 * frame (same thread) cannot show the upload's report. This layer keeps the projects as the columns
 * the app sends (positions, indices into colour and text tables), draws them in one pass per colour
 * after every move or zoom, and finds the marker under the pointer in a grid of screen cells. The
 * canvas takes no pointer events, so a click still reaches the area below; the tooltip is one Leaflet
 * tooltip, made for the marker under the pointer. The look is that of the SVG markers: the same style object
 * (radius, ring colour and width, fill opacity) comes in the options.
 */
window.raumatlasPoints = (function () {
  "use strict";

  var CELL = 16, CHUNK = 256;

  var PointLayer = L.Layer.extend({
    // options.style: the SVG markers' style ({radius, color, weight, fillOpacity}), given by raumatlas_map.js
    options: {pane: "raProjects", tooltip: {className: "ra-tt", direction: "top"}, style: null},

    // p: {lat, lon, color, colors, ...}; tip(i): the tooltip's HTML (escaped by the app) of marker i.
    initialize: function (p, tip, options) {
      L.setOptions(this, options);
      this._p = p;
      this._tip = tip;
      this._hovered = -1;
    },

    onAdd: function (map) {
      this._canvas = L.DomUtil.create("canvas", "ra-project-canvas leaflet-zoom-hide");
      this._canvas.style.pointerEvents = "none";
      this.getPane().appendChild(this._canvas);
      this._tooltip = L.tooltip(this.options.tooltip);
      map.on("moveend resize", this._draw, this);  // a zoom or a reset ends with a moveend too
      map.on("mousemove", this._hover, this);
      map.on("mouseout zoomstart movestart", this._unhover, this);
      this._draw();
    },

    onRemove: function (map) {
      this._unhover();
      map.off("moveend resize", this._draw, this);
      map.off("mousemove", this._hover, this);
      map.off("mouseout zoomstart movestart", this._unhover, this);
      L.DomUtil.remove(this._canvas);
      this._canvas = null;
    },

    _draw: function () {
      var map = this._map, p = this._p, size = map.getSize(), ratio = window.devicePixelRatio || 1;
      var canvas = this._canvas, n = p.lat.length, style = this.options.style, r = style.radius, hit = r + 2;
      L.DomUtil.setPosition(canvas, map.containerPointToLayerPoint([0, 0]));
      canvas.width = Math.round(size.x * ratio);
      canvas.height = Math.round(size.y * ratio);
      canvas.style.width = size.x + "px";
      canvas.style.height = size.y + "px";
      var ctx = canvas.getContext("2d");
      ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
      // project every marker once (container pixels); of markers on the same half pixel only the last is drawn and
      // found (it would cover the others): a file of 100,000 projects at one address draws one circle, not 100,000
      var xs = new Float32Array(n), ys = new Float32Array(n), top = new Map();
      for (var i = 0; i < n; i++) {
        var pt = map.latLngToContainerPoint([p.lat[i], p.lon[i]]);
        if (pt.x < -hit || pt.y < -hit || pt.x > size.x + hit || pt.y > size.y + hit) { continue; }
        xs[i] = pt.x;
        ys[i] = pt.y;
        top.set(Math.round(2 * pt.x + 2 * hit) * 131072 + Math.round(2 * pt.y + 2 * hit), i);
      }
      // drawn in the file's order (a later project covers an earlier one, as with SVG markers), in chunks of CHUNK
      // markers, each chunk one path per colour: 100,000 markers of alternating themes are ~2,000 fills, not 100,000
      var order = Array.from(top.values()).sort(function (a, b) { return a - b; }), grid = new Map();
      ctx.lineWidth = style.weight;
      ctx.strokeStyle = style.color;
      for (var start = 0; start < order.length; start += CHUNK) {
        var chunk = order.slice(start, start + CHUNK), colors = [], members = {};
        chunk.forEach(function (k) {
          var c = p.color[k];
          if (!members[c]) { members[c] = []; colors.push(c); }
          members[c].push(k);
          var key = Math.floor(xs[k] / CELL + 1) * 65536 + Math.floor(ys[k] / CELL + 1), cell = grid.get(key);
          if (cell) { cell.push(k); } else { grid.set(key, [k]); }
        });
        colors.forEach(function (c) {
          ctx.beginPath();
          members[c].forEach(function (k) {
            ctx.moveTo(xs[k] + r, ys[k]);
            ctx.arc(xs[k], ys[k], r, 0, 2 * Math.PI);
          });
          ctx.globalAlpha = style.fillOpacity;
          ctx.fillStyle = p.colors[c];
          ctx.fill();
          ctx.globalAlpha = 1;
          ctx.stroke();
        });
      }
      this._xs = xs;
      this._ys = ys;
      this._grid = grid;
    },

    // The marker under container point (x, y): of those whose circle holds it the one drawn last (on top, as seen),
    // else the nearest within 2 pixels of its circle; -1 for none.
    _at: function (x, y) {
      var style = this.options.style, hit = style.radius + 2, ring = style.radius + style.weight;
      var top = -1, near = -1, nearD = hit * hit, inside = ring * ring;
      var cx = Math.floor(x / CELL + 1), cy = Math.floor(y / CELL + 1);
      for (var dx = -1; dx <= 1; dx++) {
        for (var dy = -1; dy <= 1; dy++) {
          var cell = this._grid.get((cx + dx) * 65536 + (cy + dy));
          for (var j = 0; cell && j < cell.length; j++) {
            var k = cell[j], ex = this._xs[k] - x, ey = this._ys[k] - y, d = ex * ex + ey * ey;
            if (d <= inside && k > top) { top = k; }
            if (d <= nearD) { near = k; nearD = d; }
          }
        }
      }
      return top >= 0 ? top : near;
    },

    _hover: function (e) {
      if (!this._grid) { return; }
      var i = this._at(e.containerPoint.x, e.containerPoint.y);
      if (i === this._hovered) { return; }
      this._unhover();
      if (i < 0) { return; }
      this._hovered = i;
      this._map.getContainer().classList.add("ra-over-project");
      this._tooltip.setLatLng([this._p.lat[i], this._p.lon[i]]).setContent(this._tip(i)).addTo(this._map);
    },

    _unhover: function () {
      if (this._hovered < 0) { return; }
      this._hovered = -1;
      this._map.getContainer().classList.remove("ra-over-project");
      this._tooltip.remove();
    }
  });

  return {PointLayer: PointLayer};
}());
