// Staff console: ward picker, direction-dependent fields, bulk selection, confirmations.
// Everything works without this script; it only makes the forms quicker to use.
(function () {
  "use strict";

  function fillWards(province, ward) {
    var previous = ward.value;
    ward.disabled = true;
    fetch("/staff/wards?province=" + encodeURIComponent(province.value), {credentials: "same-origin"})
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (data) {
        ward.length = 1; // keep the "choose" option
        data.wards.forEach(function (w) {
          var opt = new Option(w.name, w.code);
          if (w.code === previous) { opt.selected = true; }
          ward.add(opt);
        });
      })
      .catch(function () { document.getElementById("ward-manual").closest("details").open = true; })
      .finally(function () { ward.disabled = false; });
  }

  function setupAddress() {
    var province = document.getElementById("province");
    var ward = document.getElementById("ward");
    if (!province || !ward) { return; }
    province.addEventListener("change", function () { fillWards(province, ward); });
    ward.addEventListener("change", function () { document.getElementById("ward-manual").value = ""; });
  }

  // Type-ahead over every ward of the country: picking one sets the province, the ward list and the code box.
  function setupWardSearch() {
    var box = document.getElementById("ward-search-box");
    var input = document.getElementById("ward-search");
    var list = document.getElementById("ward-options");
    var province = document.getElementById("province");
    var ward = document.getElementById("ward");
    if (!box || !input || !list || !province || !ward) { return; }
    box.hidden = false;
    var found = {};
    var timer = null;
    input.addEventListener("input", function () {
      var picked = found[input.value];
      if (picked) { choose(picked); return; }
      clearTimeout(timer);
      var q = input.value.trim();
      if (q.length < 2) { return; }
      timer = setTimeout(function () {
        fetch("/staff/wards/search?q=" + encodeURIComponent(q), {credentials: "same-origin"})
          .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
          .then(function (data) {
            list.textContent = "";
            found = {};
            data.wards.forEach(function (w) {
              var label = w.name + ", " + w.province_name + " (" + w.code + ")";
              found[label] = w;
              var opt = document.createElement("option");
              opt.value = label;
              list.appendChild(opt);
            });
          })
          .catch(function () { /* the select and the code box still work */ });
      }, 200);
    });
    function choose(w) {
      document.getElementById("ward-manual").value = w.code;
      if (province.value !== w.province_code) {
        province.value = w.province_code;
        ward.length = 1;
        var opt = new Option(w.name, w.code, true, true);
        ward.add(opt);
        fillWards(province, ward);
      } else {
        ward.value = w.code;
      }
    }
  }

  function setupDirection() {
    var docs = document.getElementById("documents");
    var radios = document.querySelectorAll('input[name="direction"]');
    if (!docs || !radios.length) { return; }
    function sync() {
      var pickup = document.querySelector('input[name="direction"]:checked').value === "pickup";
      docs.hidden = !pickup;
    }
    radios.forEach(function (r) { r.addEventListener("change", sync); });
    sync();
  }

  function setupBulk() {
    var all = document.getElementById("select-all");
    var boxes = document.querySelectorAll("input.pick");
    var count = document.getElementById("selected-count");
    if (!boxes.length) { return; }
    function update() {
      var n = document.querySelectorAll("input.pick:checked").length;
      count.textContent = n ? "Đã chọn " + n : "";
      if (all) { all.checked = n === boxes.length; all.indeterminate = n > 0 && n < boxes.length; }
    }
    boxes.forEach(function (b) { b.addEventListener("change", update); });
    if (all) {
      all.addEventListener("change", function () {
        boxes.forEach(function (b) { b.checked = all.checked; });
        update();
      });
    }
    update();
  }

  function setupConfirm() {
    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (ev) {
        if (!window.confirm(form.getAttribute("data-confirm"))) { ev.preventDefault(); }
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    setupAddress();
    setupWardSearch();
    setupDirection();
    setupBulk();
    setupConfirm();
  });
})();
