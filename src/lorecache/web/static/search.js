// Search as you type: the search box asks /search/suggest (the server renders the list, escaped) and
// shows it under the box. Arrows choose, Enter opens the chosen card (the first by default), Escape
// closes the list. Without this script the form submits to /search.
"use strict";
(function () {
  const input = document.getElementById("q");
  const list = document.getElementById("suggestions");
  if (!input || !list) return;
  const form = input.form;
  let active = -1;
  let asked = 0;
  let timer = 0;

  function options() {
    return Array.from(list.querySelectorAll("[role=option]"));
  }

  function choose(index) {
    const all = options();
    active = all.length ? (index + all.length) % all.length : -1;
    all.forEach(function (option, i) {
      option.setAttribute("aria-selected", i === active ? "true" : "false");
    });
    if (active >= 0) {
      input.setAttribute("aria-activedescendant", all[active].id);
      all[active].scrollIntoView({ block: "nearest" });
    } else {
      input.removeAttribute("aria-activedescendant");
    }
  }

  function open() {
    list.hidden = false;
    input.setAttribute("aria-expanded", "true");
    choose(0);
  }

  function close() {
    list.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    active = -1;
  }

  function continuity() {
    const checked = form.querySelector("input[name=continuity]:checked");
    return checked ? checked.value : "canon";
  }

  async function suggest() {
    const q = input.value.trim();
    const mine = ++asked;
    if (!q) {
      list.replaceChildren();
      close();
      return;
    }
    const params = new URLSearchParams({ q: q, continuity: continuity() });
    let html;
    try {
      const response = await fetch("/search/suggest?" + params.toString());
      if (!response.ok) return;
      html = await response.text();
    } catch (error) {
      return;
    }
    if (mine !== asked) return;
    list.innerHTML = html;
    list.querySelectorAll("img").forEach(function (image) {
      image.addEventListener("error", function () { image.remove(); });
    });
    open();
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(suggest, 60);
  });
  form.querySelectorAll("input[name=continuity]").forEach(function (radio) {
    radio.addEventListener("change", function () {
      suggest();
      input.focus();
    });
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      if (list.hidden && options().length) {
        open();
      } else if (list.hidden) {
        suggest();
      } else {
        choose(active + (event.key === "ArrowDown" ? 1 : -1));
      }
      event.preventDefault();
    } else if (event.key === "Enter") {
      const chosen = options()[active];
      const link = !list.hidden && chosen && chosen.querySelector("a");
      if (link) {
        event.preventDefault();
        window.location.assign(link.href);
      }
    } else if (event.key === "Escape") {
      if (!list.hidden) {
        close();
      } else {
        input.value = "";
        list.replaceChildren();
      }
      event.preventDefault();
    }
  });
  list.addEventListener("mousedown", function (event) {
    // Keeps the focus in the box, so the click lands on the link before the list closes.
    event.preventDefault();
  });
  input.addEventListener("blur", close);
})();
