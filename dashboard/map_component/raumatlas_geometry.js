/* Geometry of the Raumatlas map: quantized, delta-coded rings (dashboard/geometry_codec.py), fetched and decoded
 * once per key for the frame's whole life (loaded before raumatlas_map.js). Counts its loads in
 * window.raumatlas.geometryLoads (read by the browser tests).
 */
window.raumatlasGeometry = (function () {
  "use strict";

  var geometryCache = {};

  function decodeRing(flat, ox, oy, q) {
    var out = new Array(flat.length / 2), x = 0, y = 0;
    for (var i = 0; i < flat.length; i += 2) {
      x += flat[i];
      y += flat[i + 1];
      out[i / 2] = [oy + y * q, ox + x * q];
    }
    return out;
  }

  function decode(data) {
    if (data.format !== "ra-quantized-1") { throw new Error("unknown geometry format " + data.format); }
    var q = data.quantum, ox = data.origin[0], oy = data.origin[1];
    return {
      ids: data.ids, names: data.names, bbox: data.bbox,
      shapes: data.shapes.map(function (polys) {
        return polys.map(function (rings) { return rings.map(function (r) { return decodeRing(r, ox, oy, q); }); });
      }),
      outline: (data.outline || []).map(function (r) { return decodeRing(r, ox, oy, q); })
    };
  }

  function loadGeometry(ref) {
    if (!geometryCache[ref.key]) {
      window.raumatlas.geometryLoads++;
      geometryCache[ref.key] = ref.url
        ? fetch(ref.url).then(function (r) {
            if (!r.ok) { throw new Error(ref.url + ": HTTP " + r.status); }
            return r.json();
          }).then(decode)
        : Promise.resolve(decode(ref.inline));
      geometryCache[ref.key].catch(function () { delete geometryCache[ref.key]; });
    }
    return geometryCache[ref.key];
  }

  return {load: loadGeometry};
}());
