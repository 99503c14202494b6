"""Versioned schema migrations. Append, never edit a released one.

Types are chosen to mean the same in SQLite and PostgreSQL: TEXT ids generated in Python, DOUBLE PRECISION
epoch seconds, INTEGER flags, JSON kept in TEXT, BYTEA for raw vectors (a BLOB in SQLite). The one thing the
dialects cannot share, full-text search, is a statement given per backend as `{backend name: sql}`.
"""

from __future__ import annotations

Statement = str | dict[str, str]

MIGRATIONS: list[tuple[int, str, list[Statement]]] = [
    (
        1,
        "users, tokens, audit, recordings, jobs, segments",
        [
            """CREATE TABLE users (
                id TEXT PRIMARY KEY,
                username TEXT NOT NULL UNIQUE,
                password_hash TEXT NOT NULL,
                role TEXT NOT NULL CHECK (role IN ('admin', 'user')),
                disabled INTEGER NOT NULL DEFAULT 0,
                created_at DOUBLE PRECISION NOT NULL
            )""",
            """CREATE TABLE api_tokens (
                id TEXT PRIMARY KEY,
                user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                name TEXT NOT NULL,
                token_hash TEXT NOT NULL UNIQUE,
                created_at DOUBLE PRECISION NOT NULL,
                last_used_at DOUBLE PRECISION,
                revoked_at DOUBLE PRECISION
            )""",
            """CREATE TABLE audit_log (
                id TEXT PRIMARY KEY,
                at DOUBLE PRECISION NOT NULL,
                user_id TEXT,
                action TEXT NOT NULL,
                detail TEXT NOT NULL DEFAULT '',
                remote_addr TEXT
            )""",
            "CREATE INDEX audit_log_at ON audit_log(at)",
            """CREATE TABLE recordings (
                id TEXT PRIMARY KEY,
                user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                title TEXT NOT NULL,
                original_filename TEXT,
                content_sha256 TEXT NOT NULL,
                size_bytes BIGINT NOT NULL,
                duration_seconds DOUBLE PRECISION NOT NULL,
                audio_format TEXT,
                blob_id TEXT NOT NULL,
                pcm_blob_id TEXT,
                language TEXT,
                options TEXT NOT NULL DEFAULT '{}',
                status TEXT NOT NULL,
                asr_model TEXT,
                recorded_at DOUBLE PRECISION NOT NULL,
                created_at DOUBLE PRECISION NOT NULL
            )""",
            "CREATE INDEX recordings_user_sha ON recordings(user_id, content_sha256)",
            """CREATE TABLE jobs (
                id TEXT PRIMARY KEY,
                user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                recording_id TEXT REFERENCES recordings(id) ON DELETE CASCADE,
                kind TEXT NOT NULL,
                state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed', 'cancelled')),
                stage TEXT NOT NULL,
                progress DOUBLE PRECISION NOT NULL DEFAULT 0,
                error TEXT,
                warning TEXT,
                created_at DOUBLE PRECISION NOT NULL,
                updated_at DOUBLE PRECISION NOT NULL,
                finished_at DOUBLE PRECISION
            )""",
            "CREATE INDEX jobs_user ON jobs(user_id, created_at)",
            """CREATE TABLE segments (
                id TEXT PRIMARY KEY,
                recording_id TEXT NOT NULL REFERENCES recordings(id) ON DELETE CASCADE,
                chunk_index INTEGER NOT NULL,
                seq INTEGER NOT NULL,
                start_s DOUBLE PRECISION NOT NULL,
                end_s DOUBLE PRECISION NOT NULL,
                speaker TEXT,
                text TEXT NOT NULL,
                words TEXT NOT NULL DEFAULT '[]',
                avg_logprob DOUBLE PRECISION,
                UNIQUE (recording_id, chunk_index, seq)
            )""",
            "CREATE INDEX segments_recording ON segments(recording_id, start_s)",
        ],
    ),
]

MIGRATIONS.append(
    (
        2,
        "chunks of a recording, diarization state",
        [
            """CREATE TABLE chunks (
                recording_id TEXT NOT NULL REFERENCES recordings(id) ON DELETE CASCADE,
                idx INTEGER NOT NULL,
                start_s DOUBLE PRECISION NOT NULL,
                end_s DOUBLE PRECISION NOT NULL,
                done INTEGER NOT NULL DEFAULT 0,
                PRIMARY KEY (recording_id, idx)
            )""",
            "ALTER TABLE recordings ADD COLUMN diarized INTEGER NOT NULL DEFAULT 0",
        ],
    )
)

MIGRATIONS.append(
    (
        3,
        "voices (enrolled profiles and unnamed identities), speakers and corrections on segments",
        [
            """CREATE TABLE voices (
                id TEXT PRIMARY KEY,
                user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                name TEXT,
                number INTEGER NOT NULL,
                created_at DOUBLE PRECISION NOT NULL,
                UNIQUE (user_id, number)
            )""",
            "CREATE UNIQUE INDEX voices_user_name ON voices(user_id, name)",
            """CREATE TABLE voice_embeddings (
                id TEXT PRIMARY KEY,
                voice_id TEXT NOT NULL REFERENCES voices(id) ON DELETE CASCADE,
                kind TEXT NOT NULL CHECK (kind IN ('enrollment', 'recording')),
                recording_id TEXT REFERENCES recordings(id) ON DELETE CASCADE,
                model TEXT NOT NULL,
                vector TEXT NOT NULL,
                seconds DOUBLE PRECISION NOT NULL,
                created_at DOUBLE PRECISION NOT NULL
            )""",
            "CREATE INDEX voice_embeddings_voice ON voice_embeddings(voice_id)",
            """CREATE TABLE voice_samples (
                id TEXT PRIMARY KEY,
                voice_id TEXT NOT NULL REFERENCES voices(id) ON DELETE CASCADE,
                blob_id TEXT NOT NULL,
                seconds DOUBLE PRECISION NOT NULL,
                created_at DOUBLE PRECISION NOT NULL
            )""",
            "ALTER TABLE segments ADD COLUMN voice_id TEXT REFERENCES voices(id) ON DELETE SET NULL",
            "ALTER TABLE segments ADD COLUMN speaker_locked INTEGER NOT NULL DEFAULT 0",
            "ALTER TABLE segments ADD COLUMN text_edited INTEGER NOT NULL DEFAULT 0",
            # An enrollment job belongs to a voice, not a recording.
            "ALTER TABLE jobs ADD COLUMN voice_id TEXT REFERENCES voices(id) ON DELETE CASCADE",
        ],
    )
)

MIGRATIONS.append(
    (
        4,
        "memory: emotions on segments, sentence vectors with a change sequence, full-text search",
        [
            "ALTER TABLE segments ADD COLUMN emotion TEXT",
            "ALTER TABLE segments ADD COLUMN emotion_scores TEXT",
            "ALTER TABLE segments ADD COLUMN emotion_model TEXT",
            # Covering indexes for the search filters: a filter reads index entries, never segment rows.
            "CREATE INDEX segments_emotion ON segments(emotion, recording_id, id)",
            "CREATE INDEX segments_voice ON segments(voice_id, recording_id, id)",
            "CREATE INDEX segments_recording_time ON segments(recording_id, start_s, id)",
            "CREATE INDEX recordings_user_time ON recordings(user_id, recorded_at)",
            # One counter orders every change to the vectors: a writer takes it (and with it the row lock)
            # in its own transaction, so sequence numbers are handed out in commit order and an index replica
            # can catch up by asking for everything after the last number it saw.
            "CREATE TABLE memory_sequence (name TEXT PRIMARY KEY, value BIGINT NOT NULL)",
            "INSERT INTO memory_sequence (name, value) VALUES ('vectors', 0)",
            # No foreign key to segments: a vector outlives its segment until the recording is re-indexed,
            # which records the removal below; searches join back to live segments, so it is never shown.
            # The vectors themselves sit in their own table, so filtering and joining never read them.
            """CREATE TABLE segment_vectors (
                vid BIGINT PRIMARY KEY,
                segment_id TEXT NOT NULL,
                recording_id TEXT NOT NULL,
                user_id TEXT NOT NULL,
                model TEXT NOT NULL,
                text TEXT NOT NULL,
                created_at DOUBLE PRECISION NOT NULL
            )""",
            "CREATE TABLE vector_blobs (vid BIGINT PRIMARY KEY, vector BYTEA NOT NULL)",
            "CREATE INDEX segment_vectors_segment ON segment_vectors(segment_id, vid)",
            "CREATE INDEX segment_vectors_recording ON segment_vectors(recording_id)",
            "CREATE INDEX segment_vectors_user ON segment_vectors(user_id, vid)",
            """CREATE TABLE vector_removals (
                seq BIGINT PRIMARY KEY,
                vid BIGINT NOT NULL,
                user_id TEXT NOT NULL
            )""",
            {
                "sqlcipher": "CREATE VIRTUAL TABLE memory_fts USING fts5(text, tokenize='porter unicode61')",
                "postgres": "ALTER TABLE segment_vectors ADD COLUMN tsv tsvector "
                "GENERATED ALWAYS AS (to_tsvector('english', text)) STORED",
            },
            {
                "sqlcipher": "SELECT 1",
                "postgres": "CREATE INDEX segment_vectors_tsv ON segment_vectors USING GIN (tsv)",
            },
        ],
    )
)

MIGRATIONS.append(
    (
        5,
        "the assistant: answers with citations, live streams, recording summaries",
        [
            # One row per answer asked for. `messages` is the conversation as the client sent it; answers of
            # one conversation share `conversation_id`, so a conversation is the answers in order.
            """CREATE TABLE chats (
                id TEXT PRIMARY KEY,
                user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                conversation_id TEXT NOT NULL,
                messages TEXT NOT NULL,
                use_memory INTEGER NOT NULL,
                max_tokens INTEGER NOT NULL,
                temperature DOUBLE PRECISION NOT NULL,
                state TEXT NOT NULL,
                answer TEXT,
                citations TEXT NOT NULL DEFAULT '[]',
                usage TEXT NOT NULL DEFAULT '{}',
                timings TEXT NOT NULL DEFAULT '{}',
                model TEXT,
                error TEXT,
                created_at DOUBLE PRECISION NOT NULL,
                finished_at DOUBLE PRECISION
            )""",
            "CREATE INDEX chats_user_conversation ON chats(user_id, conversation_id, created_at)",
            "CREATE INDEX chats_user_time ON chats(user_id, created_at)",
            """CREATE TABLE live_streams (
                id TEXT PRIMARY KEY,
                user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                title TEXT NOT NULL,
                language TEXT,
                state TEXT NOT NULL,
                recording_id TEXT,
                job_id TEXT,
                created_at DOUBLE PRECISION NOT NULL,
                closed_at DOUBLE PRECISION
            )""",
            "CREATE INDEX live_streams_user ON live_streams(user_id, created_at)",
            # A chunk is its sequence number: posting the same audio again is a no-op, other audio under a
            # used number is refused. The audio is 16 kHz PCM in the blob store, like a recording's.
            """CREATE TABLE live_chunks (
                stream_id TEXT NOT NULL REFERENCES live_streams(id) ON DELETE CASCADE,
                seq INTEGER NOT NULL,
                audio_sha256 TEXT NOT NULL,
                pcm_blob_id TEXT NOT NULL,
                duration_s DOUBLE PRECISION NOT NULL,
                text TEXT,
                received_at DOUBLE PRECISION NOT NULL,
                transcribed_at DOUBLE PRECISION,
                PRIMARY KEY (stream_id, seq)
            )""",
            "ALTER TABLE recordings ADD COLUMN summary TEXT",
            "ALTER TABLE recordings ADD COLUMN action_items TEXT",
            "ALTER TABLE recordings ADD COLUMN summary_state TEXT",
            "ALTER TABLE recordings ADD COLUMN summary_model TEXT",
        ],
    )
)

MIGRATIONS.append(
    (
        6,
        "fidelity: speech coverage per chunk and recording, audio quality per recording and segment",
        [
            # The VAD's speech inside each chunk (JSON [[start, end], ...], recording seconds), and how much
            # of it the chunk's words account for once every hole was decoded again.
            "ALTER TABLE chunks ADD COLUMN speech TEXT",
            "ALTER TABLE chunks ADD COLUMN speech_s DOUBLE PRECISION",
            "ALTER TABLE chunks ADD COLUMN covered_s DOUBLE PRECISION",
            "ALTER TABLE recordings ADD COLUMN speech_seconds DOUBLE PRECISION",
            "ALTER TABLE recordings ADD COLUMN covered_seconds DOUBLE PRECISION",
            # JSON: level, peak, clipping, SNR, speech ratio (see workers/quality.py).
            "ALTER TABLE recordings ADD COLUMN audio_quality TEXT",
            "ALTER TABLE segments ADD COLUMN audio_quality TEXT",
            # With `channels=speakers`: JSON [[start, end, channel], ...], who talked when on a call.
            "ALTER TABLE recordings ADD COLUMN channel_turns TEXT",
        ],
    )
)

MIGRATIONS.append(
    (
        7,
        "speaker turns: who talks when, overlap included",
        [
            # JSON [[start, end, voice_id], ...] in recording seconds; turns of two voices may overlap.
            "ALTER TABLE recordings ADD COLUMN speaker_turns TEXT",
        ],
    )
)

MIGRATIONS.append(
    (
        8,
        "sessions that the server can end",
        [
            # Bumped by logout, a password change and an admin's action: every browser session signed
            # with an older value is over (see app/sessions.py).
            "ALTER TABLE users ADD COLUMN session_epoch INTEGER NOT NULL DEFAULT 0",
        ],
    )
)

MIGRATIONS.append(
    (
        9,
        "per-user quotas",
        [
            # NULL: the configured default; -1: unlimited (app/quotas.py).
            "ALTER TABLE users ADD COLUMN storage_quota_bytes BIGINT",
            "ALTER TABLE users ADD COLUMN audio_quota_seconds DOUBLE PRECISION",
        ],
    )
)

MIGRATIONS.append(
    (
        10,
        "recording tags",
        [
            # JSON ["tag", ...]: lower-case words the uploader (or a watched folder) gave.
            "ALTER TABLE recordings ADD COLUMN tags TEXT",
        ],
    )
)

MIGRATIONS.append(
    (
        11,
        "webhooks and their deliveries",
        [
            # `events` is JSON ["job.done", ...]; `secret` signs every delivery (HMAC-SHA256).
            """CREATE TABLE webhooks (
                id TEXT PRIMARY KEY,
                user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                url TEXT NOT NULL,
                events TEXT NOT NULL,
                secret TEXT NOT NULL,
                description TEXT NOT NULL DEFAULT '',
                created_at DOUBLE PRECISION NOT NULL
            )""",
            "CREATE INDEX webhooks_user ON webhooks(user_id)",
            # One row per event sent to one hook: the body exactly as sent (retries send the same bytes),
            # and where its sending stands: pending (its next attempt waits), sending, delivered, failed.
            """CREATE TABLE webhook_deliveries (
                id TEXT PRIMARY KEY,
                webhook_id TEXT NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
                user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                event TEXT NOT NULL,
                body TEXT NOT NULL,
                state TEXT NOT NULL,
                attempts INTEGER NOT NULL DEFAULT 0,
                last_status INTEGER,
                last_error TEXT,
                created_at DOUBLE PRECISION NOT NULL,
                updated_at DOUBLE PRECISION NOT NULL,
                next_attempt_at DOUBLE PRECISION NOT NULL,
                delivered_at DOUBLE PRECISION
            )""",
            "CREATE INDEX webhook_deliveries_hook ON webhook_deliveries(webhook_id, created_at)",
            "CREATE INDEX webhook_deliveries_due ON webhook_deliveries(state, next_attempt_at)",
        ],
    )
)

MIGRATIONS.append(
    (
        12,
        "voice actions: rules and what fired",
        [
            # `action` is webhook (a voice.action event to the user's hooks) or home_assistant (`service`
            # "domain.name" called with `data`, JSON whose strings may hold {slot}s).
            """CREATE TABLE voice_rules (
                id TEXT PRIMARY KEY,
                user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                name TEXT NOT NULL,
                pattern TEXT NOT NULL,
                action TEXT NOT NULL,
                service TEXT,
                data TEXT NOT NULL DEFAULT '{}',
                enabled INTEGER NOT NULL DEFAULT 1,
                created_at DOUBLE PRECISION NOT NULL
            )""",
            "CREATE INDEX voice_rules_user ON voice_rules(user_id)",
            # One row per rule and moment it fired on (`source`: a recording's segment or a live chunk), so
            # a stage that runs twice fires once.
            """CREATE TABLE voice_firings (
                id TEXT PRIMARY KEY,
                rule_id TEXT NOT NULL REFERENCES voice_rules(id) ON DELETE CASCADE,
                user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                source TEXT NOT NULL,
                recording_id TEXT,
                stream_id TEXT,
                said TEXT NOT NULL,
                slots TEXT NOT NULL,
                outcome TEXT NOT NULL,
                detail TEXT,
                created_at DOUBLE PRECISION NOT NULL,
                UNIQUE (rule_id, source)
            )""",
            "CREATE INDEX voice_firings_user ON voice_firings(user_id, created_at)",
        ],
    )
)

LATEST_VERSION = MIGRATIONS[-1][0]
