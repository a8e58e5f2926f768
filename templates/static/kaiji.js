// kaiji's one script: small conveniences on top of pages that work without it (CSP: script-src 'self').
// No data leaves the page; what it keeps in sessionStorage stays in this tab and is removed on use.
(function () {
  "use strict";
  var KEEP = ["name", "email", "account_id", "message", "person_name", "person_email", "person_born_on"];

  function byId(id) { return document.getElementById(id); }

  // The request form: choosing a place reloads the rights it grants at once, keeping what was typed.
  var placeForm = byId("place-form");
  var place = byId("place");
  if (placeForm && place) {
    var kept = sessionStorage.getItem("kaiji-form");
    if (kept) {
      sessionStorage.removeItem("kaiji-form");
      try {
        var values = JSON.parse(kept);
        KEEP.forEach(function (name) {
          var field = byId(name);
          if (field && !field.value && typeof values[name] === "string") { field.value = values[name]; }
        });
      } catch (e) { /* an old or damaged copy: start afresh */ }
    }
    place.addEventListener("change", function () {
      var values = {};
      KEEP.forEach(function (name) {
        var field = byId(name);
        if (field && field.value) { values[name] = field.value; }
      });
      sessionStorage.setItem("kaiji-form", JSON.stringify(values));
      placeForm.submit();
    });
  }

  // "Who is asking": the other person's fields only when someone asks for another.
  var who = byId("who");
  if (who) {
    var others = who.querySelectorAll(".field");
    var sync = function () {
      var chosen = who.querySelector("input[name=requester_kind]:checked");
      var forOther = chosen && chosen.value !== "self";
      for (var i = 0; i < others.length; i++) {
        // A guardian's basis only for guardians; fields with an error message stay visible whatever
        // is chosen.
        var wanted = others[i].getAttribute("data-for");
        var shown = wanted ? chosen && chosen.value === wanted : forOther;
        others[i].hidden = !shown && !others[i].classList.contains("invalid");
      }
    };
    who.addEventListener("change", sync);
    sync();
  }
})();
