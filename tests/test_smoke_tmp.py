def test_register_login_profile(client, auth, app):
    r = auth.register()
    assert r.status_code == 302, r.data[:2000]
    r = auth.login("john")
    assert r.status_code == 302
    r = client.get("/user/john")
    assert b"john" in r.data
    assert client.get("/nope").status_code == 404
