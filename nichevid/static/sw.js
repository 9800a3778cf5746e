// nichevid's service worker: an offline page, and styles and icons when the network is away.
"use strict";
var CACHE = "nichevid-__VERSION__";
var OFFLINE = "/offline";
var KEPT = [OFFLINE, "/static/nichevid.css", "/static/theme/theme.css", "/static/favicon.svg",
  "/static/icons/icon-192.png"];

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) {
    return cache.addAll(KEPT);
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  // Caches of older releases go.
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) {
      return name.indexOf("nichevid-") === 0 && name !== CACHE;
    }).map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.keepalive) {
    // Sent as the page goes away (the watch events' beacon): the worker sends it
    // itself, so it is not lost with the page.
    event.respondWith(fetch(request));
    return;
  }
  if (request.method !== "GET") return;
  if (request.mode === "navigate") {
    event.respondWith(fetch(request).catch(function () {
      return caches.match(OFFLINE);
    }));
  } else if (url.pathname.indexOf("/static/") === 0) {
    // The network first, so a release's styles and scripts are used at once.
    event.respondWith(fetch(request).then(function (response) {
      if (response.ok && KEPT.indexOf(url.pathname) >= 0) {
        var copy = response.clone();
        caches.open(CACHE).then(function (cache) { cache.put(request, copy); });
      }
      return response;
    }).catch(function () {
      return caches.match(request).then(function (kept) {
        return kept || Response.error();
      });
    }));
  }
});
