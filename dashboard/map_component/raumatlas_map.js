/* Raumatlas map: a Streamlit component (components v1 protocol) around the vendored Leaflet.
 *
 * The iframe lives as long as the page: Streamlit keeps a keyed component and only
 * posts new arguments. Geometry comes once per (city, level, build) from a static
 * file (dashboard/geometry_store.py) and is decoded once; every later render only
 * recolours the polygons and swaps tooltip texts (dashboard/map_payload.py), so the
 * user's zoom and pan survive a change of indicator, language or story at the same
 * level. The map fits its bounds anew only when `view` (city, level, focus) changes.
 *
 * A click on an area sends {area_id, nonce}: the nonce is new for every click, so the
 * same area twice and another area after a profile both reach the app.
 *
 * Once the page's maps are drawn, one frame sends {drawn: token} (once per session): a
 * session's first run holds only the maps' screen, and this report starts the run that
 * draws the sections below them (dashboard/views_first_paint.py).
 */
(function () {
  "use strict";

  var OUTLINE_STYLE = {fill: false, color: "#111111", weight: 3, opacity: 1, pane: "raOutlines"};
  var CITY_LINE_STYLE = {color: "#222222", weight: 1.6, fill: false, interactive: false, pane: "raOutlines"};
  var LABEL_OPTIONS = {permanent: true, direction: "center", interactive: false, className: "ra-label"};

  var map = null;
  var st = {args: null, geo: null, geometryKey: null, view: null, areas: [], focus: null, bounds: null,
            fitted: true, programmatic: false, clicks: 0};
  var layers = {areas: null, outlines: null, labels: null, leaders: null, placed: [], outlinesKey: null, cityLine: null, cityLineKey: null,
                tiles: null, tilesUrl: null, locations: null, locationsKey: null, projects: null, projectsKey: null, projectsData: null};
  // Read by the browser tests: how often the map rendered, restyled and fetched geometry.
  // renders/renderTimes: how often (and when, on the clock shared with the page) new arguments were drawn (tests, benchmarks)
  window.raumatlas = {renders: 0, renderTimes: [], geometryLoads: 0, lastError: null};

  function send(type, data) {
    window.parent.postMessage(Object.assign({isStreamlitMessage: true, type: type}, data || {}), "*");
  }

  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;"}[c];
    });
  }

  function latlngs(polys) { return polys.length === 1 ? polys[0] : polys; }

  // ---- the map ----
  function ensureMap() {
    if (map) { return; }
    map = L.map("map", {zoomSnap: 0.25, maxZoom: 18, minZoom: 8});
    window.raumatlas.map = map;
    map.createPane("raOutlines").style.zIndex = 450;   // above the areas (overlayPane 400)
    map.createPane("raProjects").style.zIndex = 660;   // above the area labels (tooltipPane 650)
    map.createPane("raProjectTips").style.zIndex = 670;  // a project's tooltip above the other projects
    map.getPane("raProjectTips").style.pointerEvents = "none";
    L.control.scale().addTo(map);
    map.on("movestart", function () { if (!st.programmatic) { st.fitted = false; } });
    map.on("resize", function () { if (st.fitted && st.bounds) { fit(st.bounds); } });
    map.on("moveend resize", placeLabels);  // the labels follow the frame's real size and the user's zoom
    // One hover tooltip at a time: moving a path to the front (the selected area) can swallow its mouseout.
    map.on("tooltipopen", function (e) {
      if (e.tooltip.options.permanent) { return; }
      if (st.tooltip && st.tooltip !== e.tooltip && map.hasLayer(st.tooltip)) { map.closeTooltip(st.tooltip); }
      st.tooltip = e.tooltip;
    });
  }

  function fit(bounds) {
    st.programmatic = true;
    try { map.fitBounds(bounds, {padding: [8, 8], animate: false}); } finally { st.programmatic = false; }
    st.fitted = true;
  }

  function areaStyle(i) {
    var a = st.args, c = a.cls[i];
    var kind = a.selected === i ? "selected" : st.focus ? (st.focus[i] ? "focus" : "dimmed") : "normal";
    return Object.assign({fillColor: c >= 0 ? a.colors[c] : a.nodata}, a.styles[kind]);
  }

  function tooltipHtml(i) {
    var a = st.args, v = a.val[i];
    var lines = ["<b>" + esc(st.geo.names[i]) + "</b>"];
    if (typeof v === "number") {
      lines.push(a.label + ": <i>" + a.flags[v] + "</i>");
    } else {
      lines.push(a.label + ": <b>" + v + "</b>");
      if (a.rank[i]) { lines.push(a.rank_tpl.replace("{rank}", a.rank[i]).replace("{total}", a.rank_total)); }
    }
    if (a.rel && a.rel[i] !== null) { lines.push(a.rel_prefix + a.rel[i]); }
    if (a.cov[i] !== null) { lines.push(a.cov_tpl.replace("{pct}", a.cov[i])); }
    return lines.join("<br>") + a.suffix;
  }

  function clicked(i) { clickedId(st.geo.ids[i]); }

  function clickedId(id) {
    st.clicks += 1;
    send("streamlit:setComponentValue", {
      value: {area_id: id, nonce: Date.now() + "-" + st.clicks + "-" + Math.random().toString(36).slice(2, 8)},
      dataType: "json"
    });
  }

  function buildAreas(geo) {
    if (layers.areas) { map.removeLayer(layers.areas); }
    layers.areas = L.featureGroup();
    st.areas = geo.shapes.map(function (polys, i) {
      if (!polys.length) { return null; }
      // "ra-area": hit-tested by its fill only (raumatlas_map.css): a hovered area's 3 px outline must not
      // catch the mouse over its neighbour's edge and keep the old tooltip there.
      var l = L.polygon(latlngs(polys), {bubblingMouseEvents: false, className: "ra-area"});
      l.bindTooltip(function () { return tooltipHtml(i); }, {sticky: true, className: "ra-tt"});
      l.on("mouseover", function (e) { e.target.setStyle({weight: 3, color: "#000000"}); });
      l.on("mouseout", function (e) { e.target.setStyle(areaStyle(i)); });
      l.on("click", function () { clicked(i); });
      l.addTo(layers.areas);
      return l;
    });
    layers.areas.addTo(map);
  }

  function restyle() {
    st.areas.forEach(function (l, i) { if (l) { l.setStyle(areaStyle(i)); } });
    var sel = st.areas[st.args.selected];
    if (sel) { sel.bringToFront(); }  // SVG paints in order: no neighbour covers the selected outline
    quietPaths();
  }

  function quietPaths() {
    // Polygons are reached by mouse or touch; keyboard and screen-reader users use the area search.
    var svgs = map.getContainer().querySelectorAll("svg");
    svgs.forEach(function (s) { s.setAttribute("aria-hidden", "true"); s.setAttribute("focusable", "false"); });
  }

  function viewBounds() {
    var b = st.geo.bbox, bounds = L.latLngBounds([[b[1], b[0]], [b[3], b[2]]]);
    if (st.focus) {
      var fb = null;
      st.areas.forEach(function (l, i) {
        if (l && st.focus[i]) { fb = fb ? fb.extend(l.getBounds()) : L.latLngBounds(l.getBounds().getSouthWest(), l.getBounds().getNorthEast()); }
      });
      if (fb) { bounds = fb; }
    }
    return bounds;
  }

  // ---- overlays ----
  function drawTiles(tiles) {
    var url = tiles ? tiles.url : null;
    if (url === layers.tilesUrl) { return; }
    if (layers.tiles) { map.removeLayer(layers.tiles); layers.tiles = null; }
    if (tiles) { layers.tiles = L.tileLayer(tiles.url, {attribution: tiles.attribution, maxZoom: 19}).addTo(map); }
    layers.tilesUrl = url;
  }

  function drawCityLine(show) {
    var key = show ? st.geometryKey : null;
    if (key === layers.cityLineKey) { return; }
    if (layers.cityLine) { map.removeLayer(layers.cityLine); layers.cityLine = null; }
    if (show && st.geo.outline.length) { layers.cityLine = L.polyline(st.geo.outline, CITY_LINE_STYLE).addTo(map); }
    layers.cityLineKey = key;
  }

  function drawOutlines(o) {
    var key = o ? o.geometry.key + JSON.stringify(o.items) : null;
    if (key === layers.outlinesKey) { return Promise.resolve(); }
    layers.outlinesKey = key;
    if (layers.outlines) { [layers.outlines, layers.labels, layers.leaders].forEach(function (l) { map.removeLayer(l); }); }
    layers.outlines = null;
    layers.placed = [];
    if (!o) { return Promise.resolve(); }
    return window.raumatlasGeometry.load(o.geometry).then(function (geo) {
      if (layers.outlinesKey !== key) { return; }
      var group = L.featureGroup(), labels = L.layerGroup();
      geo.shapes.forEach(function (polys, i) {
        var item = o.items[i];
        if (!item || !polys.length) { return; }
        var style = Object.assign({}, OUTLINE_STYLE, item.approximate ? {dashArray: "8 6"} : {});
        // One click on the outline line or on its label selects the Handlungsraum (its profile opens; no popup).
        var l = L.polygon(latlngs(polys), style).on("click", function () { clickedId(item.id); });
        var opts = Object.assign({}, LABEL_OPTIONS, {interactive: true,
                                 className: "ra-label ra-label-click" + (item.approximate ? " ra-approx" : "")});
        var tip;
        if (item.at) {  // placed in this frame by raumatlas_labels.js, from the area's anchor point
          tip = L.tooltip(opts).setLatLng(item.at).setContent(item.label);
          labels.addLayer(tip);
          layers.placed.push({tip: tip, anchor: item.leader || item.at});
        } else {
          l.bindTooltip(item.label, opts);
          tip = l.getTooltip();
        }
        tip.on("click", function () { clickedId(item.id); });
        group.addLayer(l);
      });
      layers.outlines = group.addTo(map);
      layers.leaders = L.layerGroup().addTo(map);
      layers.labels = labels.addTo(map);
      placeLabels();
    });
  }

  function placeLabels() {
    if (layers.outlines && layers.placed.length) { window.raumatlasLabels.layout(map, layers.placed, layers.leaders); }
  }

  // Leaflet.markercluster (34 KB and two style sheets) serves only the facility layer, which is off unless chosen:
  // it is loaded when that layer is first drawn, not by every map frame on every visit.
  var CLUSTER_DIR = "/app/static/vendor/leaflet.markercluster/", clusterCode = null;
  function loadCluster() {
    if (!clusterCode) {
      clusterCode = new Promise(function (resolve, reject) {
        ["MarkerCluster.css", "MarkerCluster.Default.css"].forEach(function (name) {
          var link = document.createElement("link");
          link.rel = "stylesheet";
          link.href = CLUSTER_DIR + name;
          document.head.appendChild(link);
        });
        var script = document.createElement("script");
        script.src = CLUSTER_DIR + "leaflet.markercluster.js";
        script.onload = resolve;
        script.onerror = function () { clusterCode = null; reject(new Error(script.src + ": not loaded")); };
        document.head.appendChild(script);
      });
    }
    return clusterCode;
  }

  function drawLocations(loc) {
    var key = !loc ? null : loc.url ? loc.url : "inline:" + loc.rows.length + ":" + JSON.stringify(loc.rows[0] || null);
    if (key === layers.locationsKey) { return Promise.resolve(); }
    layers.locationsKey = key;
    if (layers.locations) { map.removeLayer(layers.locations); layers.locations = null; }
    if (!loc) { return Promise.resolve(); }
    var rows = loc.url ? fetch(loc.url).then(function (r) { return r.json(); }) : Promise.resolve(loc.rows);
    return Promise.all([rows, loadCluster()]).then(function (got) {
      var data = got[0];
      if (layers.locationsKey !== key) { return; }
      var cluster = L.markerClusterGroup({maxClusterRadius: 45, showCoverageOnHover: false});
      cluster.addLayers(data.map(function (r) {
        return L.circleMarker([r[0], r[1]], {radius: 7, color: "#ffffff", weight: 1.5, fillColor: r[3], fillOpacity: 0.95})
          .bindPopup(r[2]);
      }));
      layers.locations = cluster.addTo(map);
    });
  }

  // Projects come as columns (dashboard/project_markers.py: project_columns): per marker its position and indices
  // into tables of escaped texts and colours. Up to svgLimit markers are SVG circles (class ra-project), each
  // getting its tooltip when the pointer first reaches it; more are drawn on one canvas (raumatlas_points.js).
  var PROJECT_STYLE = {radius: 6, color: "#ffffff", weight: 1.5, fillOpacity: 0.95, className: "ra-project",
                       pane: "raProjects"};
  var PROJECT_TIP = {className: "ra-tt ra-project-tt", direction: "top", pane: "raProjectTips"};

  function projectTipHtml(p, i) {
    return "<b>" + p.titles[p.title[i]] + "</b><br>" + p.details[p.detail[i]];
  }

  function projectTip(e) {
    var m = e.layer, p = layers.projectsData;
    if (!m || m.getTooltip() || !p) { return; }
    m.bindTooltip(projectTipHtml(p, m.raIndex), PROJECT_TIP);
    m.openTooltip();
  }

  function drawProjects(p) {
    var key = p ? p.key : null;
    if (key === layers.projectsKey) { return; }
    layers.projectsKey = key;
    if (layers.projects) { map.removeLayer(layers.projects); layers.projects = null; layers.projectsData = null; }
    if (!p) { return; }
    layers.projectsData = p;
    if (p.lat.length > p.svgLimit) {
      layers.projects = new window.raumatlasPoints.PointLayer(p, function (i) { return projectTipHtml(p, i); },
                                                              {tooltip: PROJECT_TIP, style: PROJECT_STYLE}).addTo(map);
      return;
    }
    var renderer = L.svg({pane: "raProjects"});
    var styles = p.colors.map(function (c) { return Object.assign({fillColor: c, renderer: renderer}, PROJECT_STYLE); });
    var markers = p.lat.map(function (lat, i) {
      var m = L.circleMarker([lat, p.lon[i]], styles[p.color[i]]);
      m.raIndex = i;
      return m;
    });
    layers.projects = L.featureGroup(markers).on("mouseover", projectTip).addTo(map);
  }

  // Read by the browser tests: where the first project marker whose (escaped) title holds `text` is drawn (frame
  // pixels), and whether it is on the canvas.
  window.raumatlas.projectPoint = function (text) {
    var p = layers.projectsData, i = -1;
    for (var k = 0; p && k < p.title.length; k++) {
      if (p.titles[p.title[k]].indexOf(text) >= 0) { i = k; break; }
    }
    if (i < 0) { return null; }
    var pt = map.latLngToContainerPoint([p.lat[i], p.lon[i]]), box = map.getContainer().getBoundingClientRect();
    return {x: box.left + pt.x, y: box.top + pt.y, canvas: !(layers.projects instanceof L.FeatureGroup)};
  };

  // ---- first paint: report once that the page's maps are drawn (dashboard/views_first_paint.py) ----
  // The last map frame of the page to settle (drawn, or failed with its message shown) reports, so the
  // sections the app then sends do not compete with a map still drawing. The token is new per session;
  // sessionStorage (shared by the page's frames, per tab) keeps a frame Streamlit mounts again from
  // reporting twice. A frame reports DRAWN_FALLBACK_MS after its first arguments anyway (a map that never settles
  // must not keep the controls and sections of the page away).
  var DRAWN_FALLBACK_MS = 8000, DRAWN_STORE = "raumatlas-drawn", drawnTimer = null;

  function reported(token) {
    try { return window.sessionStorage.getItem(DRAWN_STORE) === token; } catch (e) { return window.raumatlas.reported === token; }
  }

  function reportDrawn(token) {
    if (reported(token)) { return; }
    window.raumatlas.reported = token;
    try { window.sessionStorage.setItem(DRAWN_STORE, token); } catch (e) { /* private mode: this frame remembers */ }
    send("streamlit:setComponentValue", {value: {drawn: token}, dataType: "json"});
  }

  function otherMapsSettled() {
    try {
      var frames = window.parent.document.querySelectorAll("iframe");
      for (var i = 0; i < frames.length; i++) {
        var f = frames[i];
        if (f.contentWindow === window || String(f.src).indexOf("raumatlas_map") < 0) { continue; }
        var body = f.contentDocument && f.contentDocument.body;
        if (!body || !body.hasAttribute("data-ra-settled")) { return false; }
      }
    } catch (e) { /* the page cannot be read: report now */ }
    return true;
  }

  function settled(a) {
    document.body.setAttribute("data-ra-settled", "1");
    var token = a && a.drawn;
    if (!token || reported(token)) { return; }
    if (otherMapsSettled()) { reportDrawn(token); }
  }

  function armDrawnFallback(a) {
    var token = a && a.drawn;
    if (!token || drawnTimer || reported(token)) { return; }
    drawnTimer = setTimeout(function () { reportDrawn(token); }, DRAWN_FALLBACK_MS);
  }

  // ---- one render: new arguments from the app ----
  function apply(a) {
    send("streamlit:setFrameHeight", {height: a.height});
    ensureMap();
    if (window.frameElement) { window.frameElement.setAttribute("title", a.title); }
    map.getContainer().setAttribute("aria-label", a.title);
    document.documentElement.lang = a.lang;
    map.getContainer().style.background = a.background;
    // The outlines' geometry is fetched beside the areas' (not after them): Munich's first paint waited for
    // both fetches one after the other. load() keeps the promise, drawOutlines takes the same one.
    if (a.outlines) { window.raumatlasGeometry.load(a.outlines.geometry).catch(function () {}); }
    return window.raumatlasGeometry.load(a.geometry).then(function (geo) {
      var newGeometry = a.geometry.key !== st.geometryKey;
      st.args = a;
      if (newGeometry) {
        st.geo = geo;
        st.geometryKey = a.geometry.key;
        buildAreas(geo);
      }
      st.focus = null;
      if (a.focus) { st.focus = {}; a.focus.forEach(function (i) { st.focus[i] = true; }); }
      restyle();
      drawTiles(a.tiles);
      drawCityLine(!a.tiles);
      drawProjects(a.projects);
      if (newGeometry || a.view !== st.view) {
        st.view = a.view;
        st.bounds = viewBounds();
        fit(st.bounds);
      }
      return Promise.all([drawOutlines(a.outlines), drawLocations(a.locations)]);
    }).then(function () {
      window.raumatlas.renders++;
      window.raumatlas.renderTimes.push(performance.timeOrigin + performance.now());
      document.body.setAttribute("data-ra-renders", String(window.raumatlas.renders));
      document.getElementById("ra-error").hidden = true;
      quietPaths();
    });
  }

  var pending = null, busy = false;
  function pump() {
    busy = true;
    var a = pending;
    pending = null;
    apply(a).catch(function (err) {
      window.raumatlas.lastError = String(err);
      var box = document.getElementById("ra-error");
      box.textContent = String(err);
      box.hidden = false;
    }).then(function () {
      busy = false;
      settled(a);
      if (pending) { pump(); }
    });
  }

  window.addEventListener("message", function (event) {
    var data = event.data;
    if (!data || data.type !== "streamlit:render") { return; }
    pending = data.args && data.args.args;
    if (!pending) { return; }
    armDrawnFallback(pending);
    if (!busy) { pump(); }
  });
  send("streamlit:componentReady", {apiVersion: 1});
}());
