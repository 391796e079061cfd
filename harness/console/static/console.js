// Follows the jobs' states on the overview page (server-sent events from /events) and a running
// job's log on its page (/jobs/<id>/log): every value is set as text, never as markup, since
// job names, reasons and log lines are user data.
"use strict";

function cell(text, className) {
  const td = document.createElement("td");
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

function row(job) {
  const tr = document.createElement("tr");
  tr.dataset.job = job.jobId;
  const link = document.createElement("a");
  link.href = "/jobs/" + encodeURIComponent(job.jobId);
  link.textContent = job.jobName;
  const name = document.createElement("td");
  name.appendChild(link);
  tr.append(
    cell(job.createdAt || ""),
    name,
    cell(job.status, "state " + job.status),
    cell(job.exitCode === null ? "" : String(job.exitCode)),
    cell(job.waitingReason || job.statusReason || ""),
  );
  return tr;
}

const body = document.querySelector("#jobs tbody");
if (body) {
  const events = new EventSource("/events");
  events.onmessage = (message) => {
    const { jobs, total } = JSON.parse(message.data);
    if (jobs.length) body.replaceChildren(...jobs.map(row));
    const count = document.getElementById("job-count");
    if (count && count.firstChild) {
      const shown = total > jobs.length ? `, the ${jobs.length} newest shown` : "";
      count.firstChild.textContent = `${total} job${total === 1 ? "" : "s"}${shown} · `;
    }
  };
}

const log = document.querySelector("#log[data-follow]");
if (log) {
  const lines = new EventSource(log.dataset.follow);
  lines.onmessage = (message) => {
    log.append(JSON.parse(message.data) + "\n");
  };
  lines.addEventListener("end", (message) => {
    lines.close();
    const { status, reason } = JSON.parse(message.data);
    const state = document.getElementById("state");
    state.textContent = status;
    state.className = "state " + status;
    document.getElementById("reason").textContent = reason;
    document.getElementById("following").textContent = "the job ended: its whole log is above";
    for (const form of document.querySelectorAll("form[action$='/cancel'], form[action$='/terminate']")) {
      form.remove();
    }
  });
}
