"""A citizen asks to be called back: the digit pad, the consent sentence, the number in the record."""

from __future__ import annotations

import pytest

from tablet_rating.tablet_app import TabletApp
from tablet_rating.session import PROMPT, REASONS, THANKS
from tests.tablet.test_app import exact, face, wait_for_screen
from tests.tablet.test_screens import cut_off

pytestmark = pytest.mark.kivy


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_a_call_back_number_is_typed_on_the_digit_pad_with_consent_and_travels_in_the_rating(
        kivy_driver, tablet_config, tmp_path, lang):
    config = tablet_config(mode="standalone", clerk_id="le-hoang-cuong", thanks_s=1)
    app = TabletApp(config, tmp_path / "tablet")
    drive = kivy_driver(app)
    if lang == "en":
        app.switch_lang()
        drive.step(3)
    assert app.sm.current == PROMPT
    drive.tap(face(drive, 1))
    wait_for_screen(drive, app, REASONS)
    drive.run_for(0.6)
    ask = "Tôi muốn được liên hệ lại" if lang == "vi" else "I would like to be called back"
    drive.tap(exact(drive, ask))
    drive.step(3)
    screen = app.sm.get_screen(REASONS)
    assert screen.contact
    consent = app.consent_text
    assert "Nghị định 13/2023/NĐ-CP" in consent or "Decree 13/2023/ND-CP" in consent
    assert config.office.name in consent and "90" in consent
    pad = screen.phone_pad
    for key in "09123":
        drive.tap(pad.key_button(key), frames=2)
    drive.tap(pad.key_button("submit"), frames=3)
    assert screen.contact and pad.message  # too short: asked again, nothing kept
    assert app.session.contact_phone is None
    for key in "45678":
        drive.tap(pad.key_button(key), frames=2)
    drive.screenshot(f"contact-pad-{lang}")
    assert cut_off(drive) == []
    drive.tap(pad.key_button("submit"), frames=3)
    assert not screen.contact and app.session.contact_phone == "0912345678"
    drive.step(3)
    drive.screenshot(f"contact-left-{lang}")
    assert cut_off(drive) == []
    drive.run_for(0.6)
    drive.tap(drive.find_text(config.reasons[1].label.get(lang)))
    drive.run_for(0.6)
    drive.tap(exact(drive, "Gửi" if lang == "vi" else "Send"))
    wait_for_screen(drive, app, THANKS)
    record = app.device.outbox.pending()[-1]
    assert (record["score"], record["contact_phone"]) == (1, "0912345678")
    assert record["contact_consent"] == consent
    wait_for_screen(drive, app, PROMPT, timeout=4)
    assert app.session.contact_phone is None  # the next citizen starts with no number


def test_no_thanks_withdraws_the_number(kivy_driver, tablet_config, tmp_path):
    config = tablet_config(mode="standalone", clerk_id="le-hoang-cuong", thanks_s=1)
    app = TabletApp(config, tmp_path / "tablet")
    drive = kivy_driver(app)
    drive.tap(face(drive, 1))
    wait_for_screen(drive, app, REASONS)
    app.open_contact()
    drive.step(3)
    screen = app.sm.get_screen(REASONS)
    for key in "0912345678":
        drive.tap(screen.phone_pad.key_button(key), frames=2)
    drive.tap(exact(drive, "Không, cảm ơn"))
    drive.step(3)
    assert not screen.contact and app.session.contact_phone is None
    drive.run_for(0.6)
    drive.tap(exact(drive, "Bỏ qua"))
    wait_for_screen(drive, app, THANKS)
    assert "contact_phone" not in app.device.outbox.pending()[-1]
