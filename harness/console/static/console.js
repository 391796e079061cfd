// Follows the jobs' states on the overview page (server-sent events from /events): every
// value is set as text, never as markup, since job names and reasons are user data.
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
    const jobs = JSON.parse(message.data);
    if (jobs.length) body.replaceChildren(...jobs.map(row));
  };
}
