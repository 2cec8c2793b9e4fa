// The copilot page's one script: streams the answer into the page as it comes.
// Without it (or if streaming fails before it starts) the form posts and the server renders the answer.
// Everything the server sends is put into the page as text (textContent), never as markup.
"use strict";

(function () {
  const form = document.getElementById("ask");
  if (!form || !window.fetch || !window.TextDecoder || !window.URLSearchParams) {
    return;
  }
  const section = document.getElementById("answer");
  const text = document.getElementById("answer-text");
  const list = document.getElementById("citations");
  const sourcesHeading = document.getElementById("sources-heading");
  const producedBy = document.getElementById("produced-by");
  const button = form.querySelector("button[type=submit]");

  function sourceLink(citation) {
    const path = form.dataset.sources + encodeURIComponent(citation.source) + "/" + encodeURIComponent(citation.id);
    return path + "?quote=" + encodeURIComponent(citation.quote) + "#quote";
  }

  function showCitations(answer) {
    list.replaceChildren();
    answer.citations.forEach(function (citation, index) {
      const item = document.createElement("li");
      const link = document.createElement("a");
      const name = citation.source.replace(/_/g, " ") + " " + citation.id;
      link.href = sourceLink(citation);
      link.textContent = name;
      link.setAttribute("aria-label", "Source " + (index + 1) + ": " + name);
      const quote = document.createElement("q");
      quote.textContent = citation.quote;
      item.append(link, ": ", quote);
      list.append(item);
    });
    sourcesHeading.hidden = answer.citations.length === 0;
    producedBy.textContent = "Answered by the " + answer.produced_by.replace(/_/g, " ") + " path.";
  }

  // A model's draft is shown greyed while it is written and is never kept: a new attempt (n) starts it over,
  // and the first verified piece (delta) or the answer replaces it.
  let draft = 0;

  function endDraft() {
    if (draft) {
      text.textContent = "";
      text.classList.remove("draft");
      draft = 0;
    }
  }

  function handle(name, data) {
    if (name === "draft") {
      const piece = JSON.parse(data);
      if (piece.n !== draft) {
        text.textContent = "";
        text.classList.add("draft");
        draft = piece.n;
      }
      text.textContent += piece.text;
    } else if (name === "delta") {
      endDraft();
      text.textContent += JSON.parse(data).text;
    } else if (name === "answer") {
      const answer = JSON.parse(data);
      endDraft();
      text.textContent = answer.answer;
      showCitations(answer);
    } else if (name === "error") {
      endDraft();
      text.textContent = JSON.parse(data).detail;
    }
  }

  function dispatch(block) {
    let name = "message";
    let data = "";
    block.split("\n").forEach(function (line) {
      if (line.startsWith("event: ")) {
        name = line.slice(7);
      } else if (line.startsWith("data: ")) {
        data += line.slice(6);
      }
    });
    if (data) {
      handle(name, data);
    }
  }

  async function stream(event) {
    event.preventDefault();
    const response = await fetch(form.dataset.stream, {
      method: "POST",
      body: new URLSearchParams(new FormData(form)),
      headers: { Accept: "text/event-stream" },
      credentials: "same-origin",
    }).catch(function () {
      return null;
    });
    const type = response ? response.headers.get("content-type") || "" : "";
    if (!response || !response.ok || !response.body || !type.startsWith("text/event-stream")) {
      form.submit(); // the server-rendered page says what went wrong (a refusal, or a session that ended)
      return;
    }
    button.disabled = true;
    section.hidden = false;
    text.textContent = "";
    list.replaceChildren();
    sourcesHeading.hidden = true;
    producedBy.textContent = "";
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    try {
      for (;;) {
        const chunk = await reader.read();
        if (chunk.done) {
          break;
        }
        buffer += decoder.decode(chunk.value, { stream: true });
        let end = buffer.indexOf("\n\n");
        while (end >= 0) {
          dispatch(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
          end = buffer.indexOf("\n\n");
        }
      }
    } finally {
      button.disabled = false;
    }
  }

  form.addEventListener("submit", stream);
})();
