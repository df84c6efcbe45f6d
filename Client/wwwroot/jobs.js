// Example page, session jobs: starts a render, shows its progress (job.* events on the session's WebSocket, plus a
// poll for the silo running it) and plays the animated GIF while it streams. The stream survives the death of the
// silo rendering it: the front end holds the response while the job resumes elsewhere from its last checkpoint.
"use strict";

const job = { id: null, timer: null };
const jobEl = (id) => document.getElementById(id);

function showJob(j) {
  if (!j || j.id !== job.id) return;
  jobEl("job-status").textContent = j.status;
  jobEl("job-progress").value = j.progress;
  jobEl("job-percent").textContent = Math.round(j.progress * 100) + " %";
  jobEl("job-checkpoints").textContent = j.checkpoints;
  if (j.resumes !== undefined) jobEl("job-resumes").textContent = j.resumes;
  if (j.placement?.silo) jobEl("job-silo").textContent = j.placement.silo;
  if (["succeeded", "failed", "cancelled"].includes(j.status)) clearInterval(job.timer);
}

window.onJobEvent = showJob;

async function pollJob() {
  try {
    const response = await fetch("/sessions/current/jobs/" + job.id, { credentials: "same-origin" });
    if (response.ok) showJob(await response.json());
  } catch { /* the next poll tells */ }
}

jobEl("render-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const input = { seed: Math.floor(Math.random() * 1000000), frames: Number(jobEl("render-frames").value), width: 240, height: 180, iterations: 800 };
  const response = await fetch("/sessions/current/jobs", {
    method: "POST", credentials: "same-origin", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ kind: "render", input }),
  });
  const started = await response.json();
  if (!response.ok) {
    jobEl("job-status").textContent = started.detail ?? response.status;
    return;
  }
  clearInterval(job.timer);
  job.id = started.id;
  jobEl("job-id").textContent = started.id;
  showJob(started);
  const video = jobEl("render-video");
  video.dataset.errors = "0";
  video.onerror = () => { video.dataset.errors = String(Number(video.dataset.errors) + 1); };
  video.src = started.output;
  video.hidden = false;
  job.timer = setInterval(pollJob, 1000);
});
