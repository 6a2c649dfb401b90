"""The interface speaks English by default and Simplified Chinese to a clerk who picks it."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.utils import translation


@pytest.fixture(autouse=True)
def _back_to_default_language():
    # LocaleMiddleware activates the request's language on the test thread and leaves it there.
    yield
    translation.deactivate()


def _pick_language(client, code: str, next_url: str = "/documents/"):
    return client.post("/i18n/setlang/", {"language": code, "next": next_url}, follow=True)


def test_english_is_the_default(client, clerk, demo_types):
    client.force_login(clerk)
    page = client.get("/documents/").content.decode()
    assert '<html lang="en">' in page
    assert "Review queue" in page
    assert "复核队列" not in page


def test_clerk_who_picks_chinese_sees_chinese_navigation(client, clerk, demo_types):
    client.force_login(clerk)
    response = _pick_language(client, "zh-hans")
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == "/documents/"
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "zh-hans"
    page = response.content.decode()
    assert '<html lang="zh-hans">' in page
    assert "单据" in page
    assert "复核队列" in page
    assert "Review queue" not in page


def test_the_choice_sticks_for_later_pages(client, clerk, demo_types):
    client.force_login(clerk)
    _pick_language(client, "zh-hans")
    page = client.get("/review/").content.decode()
    assert "开始复核" in page
    assert "居民身份证号码" in page  # a field kind: model choices are translated too
    assert "置信度低" in page  # a review reason from reviews.dashboard
    assert "上传单据" in client.get("/documents/upload/").content.decode()


def test_empty_document_list_links_to_upload_in_chinese(client, clerk, demo_types):
    client.force_login(clerk)
    page = _pick_language(client, "zh-hans").content.decode()
    assert '暂无单据。<a href="/documents/upload/">上传单据</a>。' in page


def test_language_switcher_names_each_language_in_itself(client, clerk, demo_types):
    client.force_login(clerk)
    page = _pick_language(client, "zh-hans").content.decode()
    assert '<option value="en">English</option>' in page
    assert '<option value="zh-hans" selected>简体中文</option>' in page


def test_clerk_can_switch_back_to_english(client, clerk, demo_types):
    client.force_login(clerk)
    _pick_language(client, "zh-hans")
    page = _pick_language(client, "en").content.decode()
    assert "Review queue" in page
    assert "复核队列" not in page


def test_login_page_follows_the_language_cookie(client, db):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    page = client.get("/accounts/login/").content.decode()
    assert "登录" in page
    assert "用户名" in page
    assert "Log in" not in page
