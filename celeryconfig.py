"""Celery settings: queues, routes, priorities, acknowledgements, time limits.

Each task's queue and priority are declared once, in `TASKS`, and reach every message through
`task_routes`: a sender names the task and its arguments, nothing more. Redis priorities run the other way
from RabbitMQ's: 0 is served first. `task_default_priority` covers any message no route names, since Redis
would otherwise treat a message without one as the most urgent. The broker's address comes from the app's
config (`REDIS_URL`), set on the Celery app by `app.celery_setup`.
"""

from kombu import Queue

# Priorities (lower is sooner): chat, then live chunks, then batch chunks, then summaries.
PRIORITY_CHAT = 0
PRIORITY_LIVE = 3
PRIORITY_DEFAULT = 5
PRIORITY_BATCH = 6
PRIORITY_SUMMARY = 9

QUEUES = ("audio", "transcription", "chat", "emotion", "indexing", "search", "webhooks")
GPU_QUEUES = ("chat", "transcription")
# Searches get a worker of their own, which keeps the embedding model and the index replicas loaded and is
# never stuck behind a long decode.
# Webhook deliveries wait on other people's servers (10 s at most each), never on a model.
CPU_QUEUES = ("audio", "emotion", "indexing", "webhooks")
SEARCH_QUEUES = ("search",)
# Work nobody waits on as it happens: a worker that serves any of these runs at a lower CPU priority
# (NEMO_BATCH_NICE), so that searches and the web are answered first on a machine the batch work fills.
BATCH_QUEUES = ("audio", "transcription", "emotion", "indexing")

# Task names, for senders that must not import the task modules (the web process never loads `tasks`).
PREPARE_TASK = "tasks.audio.prepare_recording"
CHUNKS_TASK = "tasks.transcription.transcribe_chunks"
FINISH_TASK = "tasks.transcription.finish_transcription"
DIARIZE_TASK = "tasks.transcription.diarize_recording"
ENROLL_TASK = "tasks.transcription.enroll_voice"
EMOTION_TASK = "tasks.emotion.label_recording"
RELABEL_TASK = "tasks.emotion.relabel_recording"
CLASSIFY_TASK = "tasks.emotion.classify_text"
INDEX_TASK = "tasks.indexing.index_recording"
REINDEX_TASK = "tasks.indexing.reindex_recording"
SEARCH_TASK = "tasks.search.search_memory"
CHAT_TASK = "tasks.chat.answer_chat"
SUMMARY_TASK = "tasks.chat.summarize_recording"
LIVE_CHUNK_TASK = "tasks.live.transcribe_live_chunk"
WEBHOOK_TASK = "tasks.webhooks.deliver"
VOICE_RECORDING_TASK = "tasks.voice_actions.run_on_recording"
VOICE_LIVE_TASK = "tasks.voice_actions.run_on_live_chunk"
# name: (queue, priority). Chat and the requests people wait on first, then live chunks and edits, then
# recordings' batch stages, then summaries.
TASKS = {
    PREPARE_TASK: ("audio", PRIORITY_BATCH),
    CHUNKS_TASK: ("transcription", PRIORITY_BATCH),
    FINISH_TASK: ("transcription", PRIORITY_BATCH),
    DIARIZE_TASK: ("transcription", PRIORITY_BATCH),
    ENROLL_TASK: ("transcription", PRIORITY_LIVE),
    # Live chunks share the GPU worker's transcription queue; their priority puts them ahead of batch work.
    LIVE_CHUNK_TASK: ("transcription", PRIORITY_LIVE),
    EMOTION_TASK: ("emotion", PRIORITY_BATCH),
    RELABEL_TASK: ("emotion", PRIORITY_LIVE),
    CLASSIFY_TASK: ("emotion", PRIORITY_CHAT),
    INDEX_TASK: ("indexing", PRIORITY_BATCH),
    REINDEX_TASK: ("indexing", PRIORITY_LIVE),
    SEARCH_TASK: ("search", PRIORITY_CHAT),
    CHAT_TASK: ("chat", PRIORITY_CHAT),
    SUMMARY_TASK: ("chat", PRIORITY_SUMMARY),
    WEBHOOK_TASK: ("webhooks", PRIORITY_DEFAULT),
    # Voice actions run beside webhook deliveries: a spoken command is acted on as soon as it is heard.
    VOICE_RECORDING_TASK: ("webhooks", PRIORITY_LIVE),
    VOICE_LIVE_TASK: ("webhooks", PRIORITY_LIVE),
}
TASK_NAMES = tuple(TASKS)

task_queues = [Queue(name, routing_key=name) for name in QUEUES]
task_default_queue = "audio"
task_routes = {name: {"queue": queue, "priority": priority} for name, (queue, priority) in TASKS.items()}

broker_transport_options = {
    "queue_order_strategy": "priority",
    "priority_steps": list(range(10)),
    "sep": ":",
    # Longer than the longest task (the task hard limit below), or Redis would hand a running task to a
    # second worker.
    "visibility_timeout": 4 * 3600,
}
result_backend_transport_options = {"visibility_timeout": 4 * 3600}
task_default_priority = PRIORITY_DEFAULT
task_queue_max_priority = 9

task_acks_late = True
task_reject_on_worker_lost = True
worker_prefetch_multiplier = 1
task_time_limit = 3 * 3600
task_soft_time_limit = 3 * 3600 - 60
result_expires = 24 * 3600
task_serializer = "json"
result_serializer = "json"
accept_content = ["json"]

# Flower shows workers and tasks live only with events on.
worker_send_task_events = True
task_send_sent_event = True
task_track_started = True
broker_connection_retry_on_startup = True
# A task published while Redis restarts waits for it (about a minute) instead of failing: a stage that
# finished its work must be able to hand on to the next one.
task_publish_retry = True
task_publish_retry_policy = {
    "max_retries": 40,
    "interval_start": 0.5,
    "interval_step": 0.5,
    "interval_max": 2,
}
worker_hijack_root_logger = False
