// Sample app behaviour: the delayed 使用目的 radio group and the confirm dialog before 登録.
(function () {
  "use strict";

  function renderPurpose(group) {
    var options = (group.dataset.options || "").split("|");
    var selected = group.dataset.selected || "";
    var loading = document.getElementById("purpose-loading");
    var list = document.createElement("div");
    list.className = "radio-list";
    options.forEach(function (value, i) {
      var id = "purpose-" + (i + 1);
      var wrap = document.createElement("div");
      wrap.className = "radio";
      var input = document.createElement("input");
      input.type = "radio";
      input.name = "purpose";
      input.id = id;
      input.value = value;
      input.checked = value === selected;
      var label = document.createElement("label");
      label.htmlFor = id;
      label.textContent = value;
      wrap.appendChild(input);
      wrap.appendChild(label);
      list.appendChild(wrap);
    });
    if (loading) { loading.remove(); }
    group.insertBefore(list, group.querySelector(".field-error"));
    group.setAttribute("aria-busy", "false");
  }

  document.addEventListener("DOMContentLoaded", function () {
    var group = document.getElementById("purpose");
    if (group) {
      // Rendered late on purpose (300-800 ms) so robots must wait for it.
      window.setTimeout(function () { renderPurpose(group); }, 300 + Math.floor(Math.random() * 500));
    }
    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.dataset.confirm)) {
          event.preventDefault();
        }
      });
    });
  });
})();
