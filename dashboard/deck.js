/* Raumatlas talk deck: steps through the stories in #deck-data with two Leaflet maps.
 * All HTML in the data (tooltips, legends, popups, titles) was escaped when the deck was built.
 * Geometry is shared per level ("city/level"); a story sends one style index and one tooltip per area. */
(function () {
  "use strict";
  var D = JSON.parse(document.getElementById("deck-data").textContent);
  var CITIES = ["munich", "berlin"];
  var maps = {}, groups = {}, bounds = {}, features = {};
  var step = 0;

  CITIES.forEach(function (city) {
    var m = L.map("map-" + city, {zoomSnap: 0.25, maxZoom: 18, minZoom: 8, keyboard: false,
                                   attributionControl: false});
    L.control.scale({imperial: false}).addTo(m);
    m.createPane("raProjects").style.zIndex = 660;  // above the area labels (tooltipPane 650), as in the app
    m.on("resize", function () { if (bounds[city]) { m.fitBounds(bounds[city], {padding: [8, 8], animate: false}); } });
    maps[city] = m;
    groups[city] = L.layerGroup().addTo(m);
  });

  function levelFeatures(key) {
    if (!features[key]) {
      var lvl = D.levels[key];
      features[key] = lvl.ids.map(function (id, i) {
        return {type: "Feature", properties: {i: i, id: id}, geometry: lvl.geoms[i]};
      });
    }
    return features[key];
  }

  function drawAreas(city, v) {
    var areas = L.geoJSON(null, {
      // "ra-area": hit-tested by the fill only (map_component/raumatlas_map.css, inlined), so a hovered
      // neighbour's thick outline never swallows the pointer: the tooltip is the area under the mouse.
      style: function (f) { return Object.assign({className: "ra-area"}, v.styles[v.s[f.properties.i]]); },
      filter: function (f) { return v.s[f.properties.i] >= 0; },
      onEachFeature: function (f, layer) {
        layer.bindTooltip(v.tt[f.properties.i] + v.suffix, {sticky: true, className: "ra-tt"});
        layer.on({
          mouseover: function (e) { e.target.setStyle({weight: 3, color: "#000000"}); },
          mouseout: function (e) { areas.resetStyle(e.target); }
        });
      }
    });
    areas.addData(levelFeatures(v.level));
    groups[city].addLayer(areas);
    areas.eachLayer(function (layer) {
      var p = layer.getElement && layer.getElement();
      if (p) { p.setAttribute("data-area-id", layer.feature.properties.id); }
      if (layer.feature.properties.i === v.front) { layer.bringToFront(); }
    });
    var outline = D.levels[v.level].outline;
    if (outline) {
      groups[city].addLayer(L.geoJSON(outline, {interactive: false,
        style: {color: "#222222", weight: 1.6, fill: false}}));
    }
  }

  function drawOutlines(city, v) {
    if (!v.outlines) { return; }
    var line = {fill: false, color: "#111111", weight: 3, opacity: 1};
    D.outlines[v.outlines].forEach(function (o) {
      var layer = L.geoJSON(o.geometry, {style: o.dashed ? Object.assign({dashArray: "8 6"}, line) : line});
      layer.bindTooltip(o.label, {permanent: true, direction: "center", interactive: false,
                                  className: "ra-label"});
      groups[city].addLayer(layer);
    });
  }

  function drawMarkers(city, v) {
    if (v.locations) {
      var cluster = L.markerClusterGroup({maxClusterRadius: 45, showCoverageOnHover: false});
      D.locations[v.locations].forEach(function (r) {
        cluster.addLayer(L.circleMarker([r[0], r[1]], {radius: 7, color: "#ffffff", weight: 1.5, fillColor: r[3],
                                                       fillOpacity: 0.95}).bindPopup(r[2]));
      });
      groups[city].addLayer(cluster);
    }
    (v.projects || []).forEach(function (r) {
      groups[city].addLayer(L.circleMarker([r[0], r[1]], {radius: 6, color: "#ffffff", weight: 1.5, fillColor: r[3],
        fillOpacity: 0.95, className: "ra-project", pane: "raProjects"})
        .bindTooltip(r[2], {className: "ra-tt", direction: "top"}));
    });
  }

  function showCity(city, v) {
    var mapEl = document.getElementById("map-" + city), msg = document.getElementById("msg-" + city);
    document.getElementById("head-" + city).innerHTML = v.header;
    groups[city].clearLayers();
    bounds[city] = null;
    var legend = v.legend ? v.legend + (v.projectLegend || "") : "";
    document.getElementById("legend-" + city).innerHTML = legend;
    document.getElementById("approx-" + city).textContent = v.outlines ? D.texts.approx : "";
    msg.hidden = !v.message;
    msg.innerHTML = v.message || "";
    mapEl.style.display = v.message ? "none" : "";
    if (v.message) { return; }
    maps[city].invalidateSize({animate: false});
    bounds[city] = v.bounds;
    // Fit first: a map without a view defers adding layers, and the paths must exist to be tagged.
    maps[city].fitBounds(v.bounds, {padding: [8, 8], animate: false});
    drawAreas(city, v);
    drawOutlines(city, v);
    drawMarkers(city, v);
  }

  function show(i) {
    var n = D.stories.length;
    step = Math.max(0, Math.min(n - 1, i));
    var s = D.stories[step];
    document.getElementById("title").innerHTML = s.title;
    document.getElementById("text").innerHTML = s.text;
    document.getElementById("pos").textContent = D.texts.position.replace("{i}", step + 1).replace("{n}", n);
    var note = document.getElementById("note");
    note.className = "note " + (s.note.kind || "");
    note.innerHTML = s.note.text;
    document.getElementById("back").disabled = step === 0;
    document.getElementById("next").disabled = step === n - 1;
    CITIES.forEach(function (city) { showCity(city, s.maps[city]); });
    document.body.setAttribute("data-step", String(step));
    if (history.replaceState) { history.replaceState(null, "", "#" + (step + 1)); }
  }

  document.getElementById("back").addEventListener("click", function () { show(step - 1); });
  document.getElementById("next").addEventListener("click", function () { show(step + 1); });
  var panel = document.getElementById("sources");
  document.getElementById("sources-open").addEventListener("click", function () { panel.hidden = false; });
  document.getElementById("sources-close").addEventListener("click", function () { panel.hidden = true; });
  document.addEventListener("keydown", function (e) {
    if (e.altKey || e.ctrlKey || e.metaKey) { return; }
    var k = e.key;
    if (k === "Escape") { panel.hidden = true; return; }
    if (k === "ArrowRight" || k === "PageDown" || k === " ") { show(step + 1); }
    else if (k === "ArrowLeft" || k === "PageUp") { show(step - 1); }
    else if (k === "Home") { show(0); }
    else if (k === "End") { show(D.stories.length - 1); }
    else { return; }
    e.preventDefault();
  });
  var start = parseInt((location.hash || "#1").slice(1), 10);
  show(isNaN(start) ? 0 : start - 1);
  window.raumatlasDeck = {show: show, step: function () { return step; }, maps: maps};
}());
