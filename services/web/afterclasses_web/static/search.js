/* Afterclasses: progressive enhancements of server-rendered pages. Everything here is optional —
   the forms and links work without it. No inline scripts (the CSP forbids them). */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  // the results page's form and filters come folded (so on a phone the first result is on the
  // first screen); wide, they open, and a tablet turned to landscape opens them too
  var wide = window.matchMedia("(min-width: 1000px)");
  function unfold() {
    if (!wide.matches) return;
    document.querySelectorAll("details.search-box, details.facets-box").forEach(function (d) { d.open = true; });
  }
  unfold();
  wide.addEventListener("change", unfold);

  // Back and Forward may show the page as it was left, controls included: a sort changed just
  // before leaving would then contradict the results. The search controls show the URL's state.
  window.addEventListener("pageshow", function (e) {
    if (e.persisted) document.querySelectorAll("form.search-form, form.sort-form").forEach(function (f) { f.reset(); });
  });

  // a page that came back with mistakes (a citizens' form, the desk, the search): focus on the
  // first summary of them, so it is read out and its links lead on
  var problems = document.querySelector(".error-summary, .notice.error, .flash-error");
  if (problems) {
    if (!problems.hasAttribute("tabindex")) problems.setAttribute("tabindex", "-1");
    problems.focus();
  }

  function debounce(fn, ms) {
    var t;
    return function () {
      var args = arguments, self = this;
      clearTimeout(t);
      t = setTimeout(function () { fn.apply(self, args); }, ms);
    };
  }

  /* Suggestions for the "what" and "where" boxes, into their <datalist>. */
  document.querySelectorAll("input[data-suggest]").forEach(function (input) {
    var list = document.getElementById(input.getAttribute("list"));
    var last = "";
    input.addEventListener("input", debounce(function () {
      var q = input.value.trim();
      if (q.length < 2 || q === last) return;
      last = q;
      fetch(input.dataset.suggest + "?q=" + encodeURIComponent(q), { headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : { suggestions: [] }; })
        .then(function (body) {
          list.replaceChildren();
          body.suggestions.forEach(function (s) {
            var option = document.createElement("option");
            option.value = s.value;
            if (s.detail) option.label = s.value + " — " + s.detail;
            list.appendChild(option);
          });
        })
        .catch(function () {});
    }, 150));
  });

  /* A typed place replaces a point chosen before (my location, a map area). */
  var where = document.getElementById("where");
  if (where) {
    where.addEventListener("input", function () {
      where.form.querySelectorAll("input[type=hidden][name=lat], input[type=hidden][name=lon]")
        .forEach(function (el) { el.remove(); });
    });
  }

  function searchAt(form, lat, lon, radius) {
    var params = new URLSearchParams(new FormData(form));
    params.delete("where");
    params.delete("page");
    params.set("lat", lat.toFixed(5));
    params.set("lon", lon.toFixed(5));
    if (radius) params.set("radius_km", radius); else params.delete("radius_km");
    window.location.assign(form.action + "?" + params.toString());
  }

  /* "Use my location": what became of it is said next to the button (a live region). */
  var locate = document.querySelector("button.locate");
  var locateStatus = document.querySelector(".locate-status");
  if (locate && navigator.geolocation) {
    locate.hidden = false;
    locate.addEventListener("click", function () {
      locate.disabled = true;
      if (locateStatus) locateStatus.textContent = locateStatus.dataset.finding;
      navigator.geolocation.getCurrentPosition(function (pos) {
        searchAt(locate.form, pos.coords.latitude, pos.coords.longitude, null);
      }, function (err) {
        locate.disabled = false;
        if (locateStatus) {
          locateStatus.textContent = err.code === err.PERMISSION_DENIED ? locateStatus.dataset.denied
                                                                         : locateStatus.dataset.failed;
        }
      }, { timeout: 10000, maximumAge: 600000 });
    });
  }

  /* The sort and distance selects apply at once. */
  document.querySelectorAll(".sort-form select").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });

  /* The map: the results (clustered), the search circle, "search this area". */
  var el = document.getElementById("map");
  if (!el || !window.L) return;
  var points = JSON.parse(el.dataset.points || "[]");
  var map = L.map(el, { scrollWheelZoom: false });
  L.tileLayer(el.dataset.tiles, { attribution: el.dataset.attribution, maxZoom: 19 }).addTo(map);
  var group = L.markerClusterGroup ? L.markerClusterGroup({ maxClusterRadius: 40 }) : L.layerGroup();
  var bounds = [];
  points.forEach(function (p) {
    var marker = L.marker([p.lat, p.lon], { title: p.title, alt: p.title });
    var link = document.createElement("a");
    link.href = el.dataset.activityUrl.replace("ACTIVITY_ID", encodeURIComponent(p.id));
    link.textContent = p.title;  // text, never HTML
    marker.bindPopup(link);
    marker.on("click", function () {
      var item = document.querySelector('.hit[data-id="' + CSS.escape(p.id) + '"]');
      if (item) { item.classList.add("highlight"); setTimeout(function () { item.classList.remove("highlight"); }, 1500); }
    });
    group.addLayer(marker);
    bounds.push([p.lat, p.lon]);
  });
  map.addLayer(group);
  var center = el.dataset.center ? el.dataset.center.split(",").map(Number) : null;
  var radiusKm = Number(el.dataset.radius || 0);
  if (center && radiusKm) {
    L.circle(center, { radius: radiusKm * 1000, fill: false, weight: 1 }).addTo(map);
    // (a circle has no bounds before the map has a view: no results near a place threw here)
    map.fitBounds(bounds.length ? L.latLngBounds(bounds).extend(center) : L.latLng(center).toBounds(radiusKm * 2000),
                  { maxZoom: 15, padding: [20, 20] });
  } else if (bounds.length) {
    map.fitBounds(bounds, { maxZoom: Number(el.dataset.zoom || 15), padding: [20, 20] });
  } else if (center) {
    map.setView(center, Number(el.dataset.zoom || 13));
  } else {
    map.setView([20, 0], 2);
  }
  el.classList.add("map-ready");

  var form = document.querySelector("form.search-form");
  if (!form || !el.dataset.areaLabel) return;
  var button = document.createElement("button");
  button.type = "button";
  button.className = "search-area";
  button.textContent = el.dataset.areaLabel;
  button.hidden = true;
  el.parentNode.insertBefore(button, el.nextSibling);
  // shown once the parent moves the map (the initial fit's own zoom events are over by then)
  setTimeout(function () { map.on("dragend zoomend", function () { button.hidden = false; }); }, 500);
  // a click on the map offers a search around that point
  map.on("click", function (e) {
    var go = document.createElement("button");
    go.type = "button";
    go.className = "search-here";
    go.textContent = el.dataset.hereLabel || el.dataset.areaLabel;
    go.addEventListener("click", function () { searchAt(form, e.latlng.lat, e.latlng.lng, radiusKm || null); });
    L.popup().setLatLng(e.latlng).setContent(go).openOn(map);
  });
  button.addEventListener("click", function () {
    var c = map.getCenter();
    var r = c.distanceTo(map.getBounds().getNorthEast()) / 1000;
    searchAt(form, c.lat, c.lng, Math.max(0.5, Math.round(r * 10) / 10));
  });
})();
