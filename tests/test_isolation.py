"""Users never see each other's data: another user's ids answer exactly like unknown ones."""

from __future__ import annotations

from tests.helpers import upload


def test_user_b_cannot_reach_user_a_job_or_recording(client, workers, alice, bob, speech_wav):
    accepted = upload(client, speech_wav, alice["auth"]).get_json()
    job_id, recording_id = accepted["job_id"], accepted["recording_id"]
    for path in (
        f"/api/v1/jobs/{job_id}",
        f"/api/v1/jobs/{job_id}/events",
        f"/api/v1/recordings/{recording_id}",
    ):
        response = client.get(path, headers=bob["auth"])
        assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"
    assert client.delete(f"/api/v1/jobs/{job_id}", headers=bob["auth"]).status_code == 404
    assert client.delete(f"/api/v1/recordings/{recording_id}", headers=bob["auth"]).status_code == 404
    listed = client.get("/api/v1/recordings", headers=bob["auth"]).get_json()["recordings"]
    assert recording_id not in {r["id"] for r in listed}
    jobs = client.get("/api/v1/jobs", headers=bob["auth"]).get_json()["jobs"]
    assert job_id not in {j["id"] for j in jobs}
    assert client.get(f"/api/v1/jobs?ids={job_id}", headers=bob["auth"]).get_json()["jobs"] == []
    mine = client.get(f"/api/v1/jobs?ids={job_id},unknown", headers=alice["auth"]).get_json()["jobs"]
    assert [j["id"] for j in mine] == [job_id]
    # Alice still has it all.
    assert client.get(f"/api/v1/recordings/{recording_id}", headers=alice["auth"]).status_code == 200
