/* The courier page's attachment outbox: signatures and photos kept on the device (IndexedDB, as Blobs)
 * keyed by their scan's client_event_id, and uploaded through POST /api/v1/scans/{id}/attachment once
 * the scan itself is stored on the server.
 *
 * Rules (issue 14 item 9):
 * - an attachment is uploaded only when its scan is neither waiting in the scan queue nor being sent
 *   (the caller names those ids), so the server already has the event or refused it for good;
 * - 200/201 removes it; a refusal that will not change (400, 404: no such event, 409, 413, 422)
 *   removes it and is reported; anything else (offline, 401/403 before signing in again, 5xx) keeps it
 *   for the next try;
 * - bounded: at most MAX_ITEM bytes each (the server's limit) and MAX_TOTAL bytes in all;
 * - the scan never waits on it: a failure here never stops the event from being recorded.
 * Without IndexedDB (some private modes) attachments are kept in memory only (lost on reload). */
(function () {
  "use strict";

  var DB_NAME = "postal.courier";
  var STORE = "attachments";
  var MAX_ITEM = 2 * 1024 * 1024;
  var MAX_TOTAL = 25 * 1024 * 1024;
  var PERMANENT = { 400: true, 404: true, 409: true, 413: true, 415: true, 422: true };
  var memory = {};          // fallback store: id -> record
  var dbPromise = null;
  var flushing = null;
  var pending = 0;          // cached count, for the sync bar

  function openDb() {
    if (dbPromise) { return dbPromise; }
    dbPromise = new Promise(function (resolve) {
      if (!window.indexedDB) { resolve(null); return; }
      var req;
      try { req = indexedDB.open(DB_NAME, 1); } catch (e) { resolve(null); return; }
      req.onupgradeneeded = function () { req.result.createObjectStore(STORE, { keyPath: "id" }); };
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { resolve(null); };
      req.onblocked = function () { resolve(null); };
    });
    return dbPromise;
  }

  /* Run fn(store) in a transaction; resolves with the request's result (or the memory fallback's). */
  function tx(mode, fn, fallback) {
    return openDb().then(function (db) {
      if (!db) { return fallback(); }
      return new Promise(function (resolve, reject) {
        var t = db.transaction(STORE, mode);
        var req = fn(t.objectStore(STORE));
        t.oncomplete = function () { resolve(req ? req.result : undefined); };
        t.onerror = function () { reject(t.error); };
        t.onabort = function () { reject(t.error || new Error("aborted")); };
      });
    });
  }

  function all() {
    return tx("readonly", function (s) { return s.getAll(); },
              function () { return Object.keys(memory).map(function (k) { return memory[k]; }); });
  }

  function remove(id) {
    return tx("readwrite", function (s) { return s.delete(id); }, function () { delete memory[id]; });
  }

  function refreshCount() {
    return all().then(function (list) { pending = list.length; return pending; }, function () { return pending; });
  }

  /* Keep one attachment of a scan; rejects (and keeps nothing) when it does not fit the bounds. */
  function put(clientEventId, kind, blob) {
    if (!blob || blob.size === 0) { return Promise.reject(new Error("empty")); }
    if (blob.size > MAX_ITEM) { return Promise.reject(new Error("too-large")); }
    return all().then(function (list) {
      var total = list.reduce(function (n, r) { return n + (r.size || 0); }, 0);
      if (total + blob.size > MAX_TOTAL) { throw new Error("full"); }
      var rec = { id: clientEventId + ":" + kind, client_event_id: clientEventId, kind: kind, blob: blob,
                  type: blob.type || "application/octet-stream", size: blob.size, created: Date.now() };
      return tx("readwrite", function (s) { return s.put(rec); }, function () { memory[rec.id] = rec; });
    }).then(refreshCount);
  }

  /* Forget every attachment of a scan the server refused (its event will never exist). */
  function drop(clientEventId) {
    return all().then(function (list) {
      return Promise.all(list.filter(function (r) { return r.client_event_id === clientEventId; })
        .map(function (r) { return remove(r.id); }));
    }).then(refreshCount);
  }

  function upload(rec, csrf) {
    return fetch("/api/v1/scans/" + encodeURIComponent(rec.client_event_id) + "/attachment?kind=" + rec.kind, {
      method: "POST", credentials: "same-origin",
      headers: { "X-CSRF-Token": csrf, "Content-Type": rec.type }, body: rec.blob,
    }).then(function (r) { return r.status; }, function () { return 0; });
  }

  /* Upload what may go now (see the rules above); resolves with {sent, refused: [{kind, status}], left}. */
  function flush(busyIds, csrf) {
    if (flushing) { return flushing; }
    var result = { sent: 0, refused: [], left: 0 };
    flushing = all().then(function (list) {
      var ready = list.filter(function (r) { return !busyIds[r.client_event_id]; });
      return ready.reduce(function (chain, rec) {   // one at a time: phones on a weak network
        return chain.then(function () {
          if (!navigator.onLine) { return null; }
          return upload(rec, csrf).then(function (status) {
            if (status === 200 || status === 201) { result.sent += 1; return remove(rec.id); }
            if (PERMANENT[status]) { result.refused.push({ kind: rec.kind, status: status }); return remove(rec.id); }
            return null;
          });
        });
      }, Promise.resolve());
    }).catch(function () { return null; })
      .then(refreshCount)
      .then(function (n) { result.left = n; flushing = null; return result; });
    return flushing;
  }

  window.postalOutbox = {
    put: put, drop: drop, flush: flush, refresh: refreshCount,
    pending: function () { return pending; }, list: all, MAX_ITEM: MAX_ITEM,
  };
}());
