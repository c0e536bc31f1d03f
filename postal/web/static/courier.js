/* The courier's page: scan box (typing, handheld scanner, camera or photo), the list's search, item
 * actions (papers ticked at pickup, cash confirmed at delivery), proof of delivery, and an offline queue
 * in localStorage synced through /api/v1/scans/batch; signatures and photos wait in courier_outbox.js
 * until their scan is stored.
 *
 * Every scan gets its client_event_id on the device, so sending it twice (a retry after a lost
 * answer, a sync after a timeout) is answered with the stored event, never a duplicate.
 * Scans are kept in order: while the queue is not empty, new scans join its end. */
(function () {
  "use strict";

  var QUEUE_KEY = "postal.courier.queue.v1";
  var FAILED_KEY = "postal.courier.failed.v1";
  var BATCH_MAX = 500;
  var RETRY_MS = 15000;
  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var csrf = csrfMeta ? csrfMeta.content : "";
  var syncing = false;
  var inflight = {};   // client_event_ids being sent straight to /api/v1/scans right now
  var outbox = window.postalOutbox;

  function $(id) { return document.getElementById(id); }

  function uuid() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  function load(key) {
    try { return JSON.parse(localStorage.getItem(key) || "[]"); } catch (e) { return []; }
  }
  function save(key, list) { localStorage.setItem(key, JSON.stringify(list)); }

  function say(el, text, kind) {
    if (!el) { return; }
    el.textContent = text;
    el.className = kind || "";
  }

  function problemText(body, status) {
    if (body && body.detail) { return body.detail; }
    return "Lỗi " + status + ": không ghi nhận được.";
  }

  function headers(json) {
    var h = { "X-CSRF-Token": csrf, "Accept": "application/json" };
    if (json) { h["Content-Type"] = "application/json"; }
    return h;
  }

  function postJSON(url, body) {
    return fetch(url, { method: "POST", credentials: "same-origin", headers: headers(true),
                        body: JSON.stringify(body) })
      .then(function (r) {
        return r.json().catch(function () { return null; }).then(function (b) { return { status: r.status, body: b }; });
      });
  }

  /* ---------------- the offline queue ---------------- */

  function updateBar() {
    var bar = $("sync-bar");
    if (!bar) { return; }
    var n = load(QUEUE_KEY).length;
    var files = outbox ? outbox.pending() : 0;
    $("queue-count").textContent = String(n);
    $("attach-count").textContent = String(files);
    $("net-state").textContent = navigator.onLine ? "Có mạng" : "Mất mạng — quét vẫn được lưu trên máy";
    bar.classList.toggle("offline", !navigator.onLine);
    bar.hidden = navigator.onLine && n === 0 && files === 0;
    padForBar();
    renderFailed();
  }

  /* The bar is fixed at the bottom: while it shows, the page ends that much higher so it covers nothing. */
  function padForBar() {
    var bar = $("sync-bar");
    if (!bar) { return; }
    document.body.classList.toggle("has-sync-bar", !bar.hidden);
    document.body.style.paddingBottom = bar.hidden ? "" : (bar.offsetHeight + 8) + "px";
  }

  function renderFailed() {
    var list = $("failed-list");
    if (!list) { return; }
    list.textContent = "";
    load(FAILED_KEY).slice(-20).forEach(function (f) {
      var li = document.createElement("li");
      li.textContent = f.code + " · " + f.event + ": " + f.detail;
      list.appendChild(li);
    });
  }

  function enqueue(scan) {
    var q = load(QUEUE_KEY);
    q.push(scan);
    save(QUEUE_KEY, q);
    updateBar();
  }

  function busyIds() {
    var busy = {};
    load(QUEUE_KEY).forEach(function (s) { busy[s.client_event_id] = true; });
    Object.keys(inflight).forEach(function (id) { busy[id] = true; });
    return busy;
  }

  /* Upload the signatures and photos whose scans the server has answered (see courier_outbox.js). */
  function flushAttachments() {
    if (!outbox || !navigator.onLine) { updateBar(); return Promise.resolve(null); }
    return outbox.flush(busyIds(), csrf).then(function (r) {
      var failed = load(FAILED_KEY);
      r.refused.forEach(function (f) {
        failed.push({ code: "", event: f.kind === "signature" ? "chữ ký" : "ảnh", detail: "máy chủ không nhận (lỗi " + f.status + ")" });
      });
      if (r.refused.length) { save(FAILED_KEY, failed); }
      updateBar();
      return r;
    });
  }

  function sync() {
    var q = load(QUEUE_KEY);
    if (!syncing && q.length === 0 && navigator.onLine) { return flushAttachments(); }
    if (syncing || q.length === 0 || !navigator.onLine) { updateBar(); return Promise.resolve(); }
    syncing = true;
    var sent = q.slice(0, BATCH_MAX);
    return postJSON("/api/v1/scans/batch", { scans: sent }).then(function (res) {
      if (res.status !== 200 || !res.body || !res.body.results) {
        if (res.status === 401 || res.status === 403) { say($("scan-message"), "Phiên đăng nhập đã hết: hãy đăng nhập lại để gửi.", "error"); }
        return;
      }
      var done = {};
      var failed = load(FAILED_KEY);
      res.body.results.forEach(function (r, i) {
        var s = sent[i];
        if (r.status === 200 || r.status === 201) { done[s.client_event_id] = true; }
        else if (r.status >= 400 && r.status < 500) {
          done[s.client_event_id] = true;
          failed.push({ code: s.code, event: s.event, detail: problemText(r.error, r.status) });
          if (outbox) { outbox.drop(s.client_event_id); }  // its event will never exist
        }
      });
      save(FAILED_KEY, failed);
      save(QUEUE_KEY, load(QUEUE_KEY).filter(function (s) { return !done[s.client_event_id]; }));
      var left = load(QUEUE_KEY).length;
      say($("scan-message"), left ? "Đã gửi một phần, còn " + left + " lần quét chờ gửi." : "Đã đồng bộ các lần quét ngoại tuyến.", left ? "" : "ok");
    }).catch(function () { /* still offline: retried later */ })
      .then(function () { syncing = false; return flushAttachments(); });
  }

  /* Record one scan: straight to the API when online and nothing waits, else into the queue. */
  function record(scan) {
    if (!navigator.onLine || load(QUEUE_KEY).length > 0) {
      enqueue(scan);
      sync();
      return Promise.resolve({ queued: true });
    }
    inflight[scan.client_event_id] = true;
    return postJSON("/api/v1/scans", scan).then(function (res) {
      if (res.status >= 500) { enqueue(scan); return { queued: true }; }
      return res;
    }).catch(function () { enqueue(scan); return { queued: true }; })
      .then(function (res) { delete inflight[scan.client_event_id]; return res; });
  }

  function newScan(code, event, extra) {
    var scan = { code: code, event: event, occurred_at: new Date().toISOString(), client_event_id: uuid() };
    Object.keys(extra || {}).forEach(function (k) { scan[k] = extra[k]; });
    return scan;
  }

  /* ---------------- the scan box ---------------- */

  function codeOf(text) {
    text = text.trim();
    if (text.indexOf("/") >= 0) {
      var parts = text.split("?")[0].split("#")[0].split("/").filter(Boolean);
      text = decodeURIComponent(parts[parts.length - 1] || "");
    }
    return text.replace(/\s+/g, "").toUpperCase();
  }

  function handleCode(text) {
    var input = $("scan-input");
    var mode = $("scan-mode") ? $("scan-mode").value : "open";
    var code = codeOf(text);
    if (!code) { return; }
    if (mode === "open") {
      if (!navigator.onLine) {
        say($("scan-message"), "Mất mạng: chọn \"Ghi nhận ngay\" để lưu lần quét trên máy.", "error");
        return;
      }
      window.location.href = "/courier/items/" + encodeURIComponent(code);
      return;
    }
    record(newScan(code, mode)).then(function (res) {
      if (res.queued) { say($("scan-message"), code + ": đã lưu trên máy, sẽ gửi khi có mạng.", ""); }
      else if (res.status === 200 || res.status === 201) {
        say($("scan-message"), code + ": " + (res.body.shipment ? res.body.shipment.status_text : "đã ghi nhận") + ".", "ok");
      } else { say($("scan-message"), code + ": " + problemText(res.body, res.status), "error"); }
    });
    input.value = "";
    input.focus();
  }

  function setupScanBox() {
    var form = $("scan-form");
    if (!form) { return; }
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      handleCode($("scan-input").value);
    });
    setupCamera();
  }

  /* "Quét bằng camera" always does something: the live camera where the browser has BarcodeDetector
   * (Chrome on Android), else the photo fallback: the phone's camera app takes a picture through the
   * file input (capture), and the server decodes it (Safari on iPhone, Firefox, desktop Chrome). */
  function setupCamera() {
    $("camera-start").hidden = false;
    $("camera-start").addEventListener("click", startCamera);
    $("photo-input").addEventListener("change", decodePhoto);
  }

  function showPhotoFallback(text) {
    $("photo-label").hidden = false;
    if (text) { say($("scan-message"), text, "error"); }
  }

  function liveDetector() {
    if (!("BarcodeDetector" in window) || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      return null;
    }
    try { return new window.BarcodeDetector({ formats: ["qr_code", "code_128"] }); } catch (e) { return null; }
  }

  function startCamera() {
    var video = $("camera-view");
    var detector = liveDetector();
    if (!detector) { $("photo-input").click(); return; }  // still inside the click: the chooser may open
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } }).then(function (stream) {
      video.srcObject = stream;
      video.hidden = false;
      video.play();
      var stop = function () { stream.getTracks().forEach(function (t) { t.stop(); }); video.hidden = true; };
      var tick = function () {
        if (video.hidden) { return; }
        detector.detect(video).then(function (found) {
          if (found.length) { stop(); handleCode(found[0].rawValue); } else { setTimeout(tick, 250); }
        }).catch(function () { setTimeout(tick, 500); });
      };
      tick();
    }).catch(function () {
      showPhotoFallback("Không mở được camera: hãy cho phép truy cập camera, hoặc bấm \"Chụp ảnh mã\".");
    });
  }

  function decodePhoto(ev) {
    var file = ev.target.files && ev.target.files[0];
    if (!file) { return; }
    var data = new FormData();
    data.append("photo", file, "photo");
    say($("scan-message"), "Đang đọc mã trong ảnh…", "");
    fetch("/courier/decode", { method: "POST", credentials: "same-origin", headers: headers(false), body: data })
      .then(function (r) { return r.json().then(function (b) { return { status: r.status, body: b }; }); })
      .then(function (res) {
        if (res.status === 200 && res.body.code) { $("scan-input").value = res.body.code; handleCode(res.body.code); }
        else { say($("scan-message"), problemText(res.body, res.status), "error"); }
      })
      .catch(function () { say($("scan-message"), "Mất mạng: không gửi được ảnh để đọc mã.", "error"); });
    ev.target.value = "";
  }

  /* ---------------- the item page ---------------- */

  function itemMessage(res, code) {
    var el = $("action-message");
    if (res.queued) { say(el, "Đã lưu trên máy, sẽ gửi khi có mạng.", ""); return false; }
    if (res.status === 200 || res.status === 201) {
      say(el, "Đã ghi nhận: " + (res.body.shipment ? res.body.shipment.status_text : res.body.status) + ".", "ok");
      return true;
    }
    say(el, problemText(res.body, res.status), "error");
    return false;
  }

  function reloadSoon() { setTimeout(function () { window.location.reload(); }, 700); }

  function setupItem() {
    var item = $("item");
    if (!item) { return; }
    var code = item.getAttribute("data-code");
    var direction = item.getAttribute("data-direction");
    document.querySelectorAll("button.action").forEach(function (btn) {
      btn.addEventListener("click", function () {
        var event = btn.getAttribute("data-event");
        var pickup = $("pickup-form");
        $("failed-form").hidden = event !== "delivery_failed";
        $("proof-form").hidden = event !== "delivered";
        if (pickup) { pickup.hidden = event !== "picked_up"; }
        if (event === "delivery_failed" || event === "delivered" || (event === "picked_up" && pickup)) { return; }
        btn.disabled = true;
        record(newScan(code, event)).then(function (res) {
          btn.disabled = false;
          if (itemMessage(res, code)) { reloadSoon(); }
        });
      });
    });
    document.querySelectorAll(".cancel-sub").forEach(function (b) {
      b.addEventListener("click", function () {
        $("failed-form").hidden = true; $("proof-form").hidden = true;
        if ($("pickup-form")) { $("pickup-form").hidden = true; }
      });
    });
    $("failed-form").addEventListener("submit", function (ev) {
      ev.preventDefault();
      var extra = { reason_code: $("reason").value };
      var note = $("failed-note").value.trim();
      if (note) { extra.note = note; }
      record(newScan(code, "delivery_failed", extra)).then(function (res) {
        if (itemMessage(res, code)) { reloadSoon(); }
      });
    });
    setupPickup(code);
    setupProof(code, direction);
  }

  /* Pickup: the papers of the order's list, ticked as the courier finds them, go with the picked_up scan. */
  function setupPickup(code) {
    var form = $("pickup-form");
    if (!form) { return; }
    var boxes = form.querySelectorAll("input.doc-check");
    function summary() {
      var ticked = Array.prototype.filter.call(boxes, function (b) { return b.checked; }).length;
      var missing = boxes.length - ticked;
      say($("docs-summary"), "Đã nhận " + ticked + "/" + boxes.length + " giấy tờ" +
          (missing ? " — thiếu " + missing + ": vẫn ghi nhận được, danh sách thiếu được lưu cùng sự kiện." : "."),
          missing ? "warn" : "ok");
    }
    boxes.forEach(function (b) { b.addEventListener("change", summary); });
    summary();
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var docs = Array.prototype.map.call(boxes, function (b) {
        return { name: b.getAttribute("data-name"), kind: b.getAttribute("data-kind"),
                 count: parseInt(b.getAttribute("data-count"), 10) || 1, present: b.checked };
      });
      var submit = form.querySelector("button[type=submit]");
      submit.disabled = true;
      record(newScan(code, "picked_up", { documents_checked: docs })).then(function (res) {
        if (itemMessage(res, code)) { reloadSoon(); return; }
        submit.disabled = !!res.queued;  // queued: recorded on the device, do not record it twice
        if (res.queued) { form.hidden = true; }
      });
    });
  }

  function setupProof(code, direction) {
    var form = $("proof-form");
    var pad = setupSignature($("signature-pad"));
    $("signature-clear").addEventListener("click", pad.clear);
    document.querySelectorAll('input[name="relationship"]').forEach(function (r) {
      r.addEventListener("change", function () {
        $("authorization-box").hidden = form.querySelector('input[name="relationship"]:checked').value !== "authorized";
      });
    });
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var proof = { recipient_name: $("recipient-name").value.trim() };
      if (direction === "delivery") {
        proof.relationship = form.querySelector('input[name="relationship"]:checked').value;
        if (proof.relationship === "authorized") { proof.authorization_number = $("authorization-number").value.trim(); }
        proof.verification = { method: form.querySelector('input[name="method"]:checked').value,
                               value: $("verification-value").value.trim() };
      }
      var cod = $("cod-collected");
      if (cod) {
        if (!cod.checked) { say($("action-message"), "Hãy thu tiền thu hộ và đánh dấu \"Tôi đã thu đủ\" trước khi giao.", "error"); cod.focus(); return; }
        proof.cod_collected = true;
      }
      var scan = newScan(code, "delivered", { proof: proof });
      var submit = form.querySelector("button[type=submit]");
      submit.disabled = true;
      inflight[scan.client_event_id] = true;  // its attachments wait until the scan is answered
      keepAttachments(scan.client_event_id, pad).then(function () { return record(scan); }).then(function (res) {
        delete inflight[scan.client_event_id];
        if (res.queued) {
          itemMessage(res, code);
          form.hidden = true;          // recorded on the device: never record the handover twice
          document.querySelectorAll("button.action").forEach(function (b) { b.disabled = true; });
          updateBar();
          return;
        }
        submit.disabled = false;
        if (!itemMessage(res, code)) {
          if (outbox) { outbox.drop(scan.client_event_id).then(updateBar); }  // refused: a new try gets a new id
          return;
        }
        flushAttachments().then(function (r) {
          if (r && r.left) { say($("action-message"), "Đã giao; chữ ký/ảnh sẽ được gửi khi có mạng.", ""); }
          reloadSoon();
        });
      });
    });
  }

  /* Keep the signature and photo on the device, keyed by the scan; a failure here only loses them, never the scan. */
  function keepAttachments(clientEventId, pad) {
    var jobs = [];
    if (!outbox) { return Promise.resolve(); }
    if (!pad.isEmpty()) {
      jobs.push(pad.blob().then(function (b) { return outbox.put(clientEventId, "signature", b); }));
    }
    var photo = $("proof-photo").files[0];
    if (photo) { jobs.push(shrink(photo).then(function (b) { return outbox.put(clientEventId, "photo", b); })); }
    return Promise.all(jobs.map(function (j) {
      return j.catch(function () { say($("action-message"), "Không lưu được chữ ký/ảnh trên máy (quá lớn hoặc hết chỗ).", "error"); });
    }));
  }

  /* A phone photo scaled to at most 1600 px as JPEG, under the 2 MB attachment limit. */
  function shrink(file) {
    return new Promise(function (resolve, reject) {
      var img = new Image();
      img.onload = function () {
        var scale = Math.min(1, 1600 / Math.max(img.width, img.height));
        var c = document.createElement("canvas");
        c.width = Math.round(img.width * scale);
        c.height = Math.round(img.height * scale);
        c.getContext("2d").drawImage(img, 0, 0, c.width, c.height);
        URL.revokeObjectURL(img.src);
        c.toBlob(function (b) { if (b) { resolve(b); } else { reject(new Error("encode")); } }, "image/jpeg", 0.8);
      };
      img.onerror = reject;
      img.src = URL.createObjectURL(file);
    });
  }

  function setupSignature(canvas) {
    var ctx = canvas.getContext("2d");
    var drawing = false;
    var empty = true;
    function pos(e) {
      var r = canvas.getBoundingClientRect();
      return { x: (e.clientX - r.left) * canvas.width / r.width, y: (e.clientY - r.top) * canvas.height / r.height };
    }
    ctx.lineWidth = 2;
    ctx.lineCap = "round";
    canvas.addEventListener("pointerdown", function (e) { drawing = true; var p = pos(e); ctx.beginPath(); ctx.moveTo(p.x, p.y); });
    canvas.addEventListener("pointermove", function (e) {
      if (!drawing) { return; }
      var p = pos(e); ctx.lineTo(p.x, p.y); ctx.stroke(); empty = false;
    });
    ["pointerup", "pointerleave", "pointercancel"].forEach(function (n) { canvas.addEventListener(n, function () { drawing = false; }); });
    return {
      isEmpty: function () { return empty; },
      clear: function () { ctx.clearRect(0, 0, canvas.width, canvas.height); empty = true; },
      blob: function () { return new Promise(function (resolve) { canvas.toBlob(resolve, "image/png"); }); },
    };
  }

  /* ---------------- start ---------------- */

  window.addEventListener("online", function () { updateBar(); sync(); });
  window.addEventListener("offline", updateBar);
  window.addEventListener("resize", padForBar);
  document.addEventListener("DOMContentLoaded", function () {
    setupScanBox();
    setupItem();
    var now = $("sync-now");
    if (now) { now.addEventListener("click", sync); }
    if (outbox) { outbox.refresh().then(updateBar); }
    updateBar();
    sync();
    setInterval(sync, RETRY_MS);
  });
  window.postalCourier = { queue: function () { return load(QUEUE_KEY); }, sync: sync };

  /* ---------------- the list's search (the form's ?q= does the same without JavaScript) ---------------- */

  function fold(text) {
    return text.toLowerCase().replace(/đ/g, "d").normalize("NFD").replace(/[\u0300-\u036f]/g, "");
  }

  function setupSearch() {
    var input = $("q");
    if (!input) { return; }
    function apply() {
      var words = fold(input.value).split(/\s+/).filter(Boolean);
      var shown = 0;
      document.querySelectorAll("#work section.group").forEach(function (group) {
        var n = 0;
        group.querySelectorAll("li.item").forEach(function (li) {
          var text = li.getAttribute("data-search") || "";
          var match = words.every(function (w) { return text.indexOf(w) >= 0; });
          li.hidden = !match;
          if (match) { n += 1; }
        });
        group.querySelector(".group-count").textContent = String(n);
        group.hidden = n === 0;
        shown += n;
      });
      $("visible-count").textContent = String(shown);
      $("no-match").hidden = shown > 0 || document.querySelectorAll("#work li.item").length === 0;
    }
    input.addEventListener("input", apply);
    if (input.value) { apply(); }
  }
  document.addEventListener("DOMContentLoaded", setupSearch);
}());
