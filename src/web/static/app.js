// Small progressive enhancements; every page works without this file.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  // "Select all" for the queue's authority list.
  var all = document.getElementById("select-all");
  if (all) {
    all.hidden = false;
    all.addEventListener("click", function () {
      document.querySelectorAll("input[name=authority]").forEach(function (c) { c.checked = true; });
    });
  }
});
