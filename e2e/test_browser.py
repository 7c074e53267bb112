"""The app driven in a real browser, through nginx, the backend and PostgreSQL."""

import time
from typing import Literal

import httpx
import pytest
from playwright.sync_api import Browser, Locator, Page, Route, ViewportSize, expect

from stacks.app import AppStack
from support.browser_watch import WatchedPage
from support.paths import ROOT

SCREENSHOTS = ROOT / "artifacts" / "screenshots"
PHONE: ViewportSize = {"width": 390, "height": 844}
DESKTOP: ViewportSize = {"width": 1280, "height": 800}
# The tasks every fresh stack starts with.
DEMO = ["Apprendre Docker", "Configurer CI/CD"]
# The API's page when a list asks for no limit (limit's default in its OpenAPI document),
# and enough tasks beyond the demo ones for three pages.
PAGE_SIZE = 100
MANY = 250
# The app's own request timeout (10 s, frontend/src/api.ts) and a margin: behind compose,
# nginx first waits for a vanished container's address to time out.
ERROR_BANNER_WITHIN_MS = 15_000
# How long a tab in the background is watched for requests it must not make.
IDLE_TAB_WATCH_MS = 1_000


@pytest.fixture
def app(watched_page: WatchedPage, stack: AppStack) -> WatchedPage:
    """The app opened on a fresh stack, with its two demo tasks on screen."""
    open_on_demo_tasks(watched_page, stack.url)
    return watched_page


def open_on_demo_tasks(watched: WatchedPage, url: str) -> None:
    """`url` opened in `watched`'s page, until its two demo tasks are on screen; if they
    never come, the failure says what the page showed instead and what went wrong."""
    watched.page.goto(url)
    try:
        expect(task_titles(watched.page)).to_have_text(DEMO)
    except AssertionError as error:
        shown = watched.page.locator("body").inner_text()
        raise AssertionError(
            f"{error}\nThe page showed: {shown!r}\nfailed requests: "
            f"{watched.failed_requests}\nconsole errors: {watched.console_errors}"
        ) from None


def task_titles(page: Page) -> Locator:
    return page.get_by_role("list", name="Tasks").locator(".title")


def new_task_field(page: Page) -> Locator:
    return page.get_by_role("textbox", name="New task")


def tick(page: Page, title: str) -> None:
    """Ticks a task's box as a user does: a click, then the box seen ticked (its name says
    what the next click does). Not Locator.check(): it reads the box once, right after its
    click, and the app ticks it a moment later (the optimistic change reaches React
    through TanStack Query's notifier, a setTimeout(0) away); on a machine running the
    other test parts, that read came first ("Clicking the checkbox did not change its
    state")."""
    page.get_by_role("checkbox", name=f'Mark "{title}" as done').click()
    expect(page.get_by_role("checkbox", name=f'Mark "{title}" as not done')).to_be_checked()


def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)


def test_first_visit_shows_the_demo_tasks_counter_and_postgresql_note(app: WatchedPage) -> None:
    page = app.page

    expect(page.get_by_text("2 tasks left")).to_be_visible()
    expect(page.locator(".storage")).to_have_text("PostgreSQL: saved across restarts")
    expect(page).to_have_title("Tasks")
    app.assert_clean()


def test_every_action_with_the_keyboard_alone(app: WatchedPage, stack: AppStack) -> None:
    page = app.page
    keyboard = page.keyboard

    # Add: focus the field, type, Enter.
    new_task_field(page).focus()
    keyboard.type("  Écrire le Dockerfile  ")
    keyboard.press("Enter")
    expect(task_titles(page)).to_have_text([*DEMO, "Écrire le Dockerfile"])
    expect(page.get_by_text("3 tasks left")).to_be_visible()

    # Edit in place: Tab to the Edit button, Enter opens the field; Escape cancels...
    page.get_by_role("button", name='Edit "Écrire le Dockerfile"').focus()
    keyboard.press("Enter")
    keyboard.type("Autre chose")
    keyboard.press("Escape")
    expect(task_titles(page).nth(2)).to_have_text("Écrire le Dockerfile")
    # ...and Enter saves.
    keyboard.press("Enter")  # focus is back on the Edit button
    keyboard.press("Control+A")
    keyboard.type("Écrire le Dockerfile multi-étapes")
    keyboard.press("Enter")
    expect(task_titles(page).nth(2)).to_have_text("Écrire le Dockerfile multi-étapes")

    # Toggle: Shift+Tab from Edit reaches the checkbox; Space checks it.
    keyboard.press("Shift+Tab")
    keyboard.press("Space")
    expect(
        page.get_by_role("checkbox", name='Mark "Écrire le Dockerfile multi-étapes" as not done')
    ).to_be_checked()
    expect(page.get_by_text("2 tasks left")).to_be_visible()

    # Filter with the keyboard, and a reload keeps it (it is in the URL).
    page.get_by_role("link", name="Done").focus()
    keyboard.press("Enter")
    expect(task_titles(page)).to_have_text(["Écrire le Dockerfile multi-étapes"])
    page.reload()
    expect(task_titles(page)).to_have_text(["Écrire le Dockerfile multi-étapes"])
    assert page.url.endswith("#/done")
    page.get_by_role("link", name="All").focus()
    keyboard.press("Enter")

    # Delete with the keyboard.
    page.get_by_role("button", name='Delete "Apprendre Docker"').focus()
    keyboard.press("Enter")
    expect(task_titles(page)).to_have_text(
        ["Configurer CI/CD", "Écrire le Dockerfile multi-étapes"]
    )

    # Clear done.
    page.get_by_role("button", name="Clear done").focus()
    keyboard.press("Enter")
    expect(task_titles(page)).to_have_text(["Configurer CI/CD"])

    # All of it reached the database.
    assert [task["title"] for task in httpx.get(f"{stack.url}/api/tasks").json()] == [
        "Configurer CI/CD"
    ]
    app.assert_clean()


def test_persistence_drill_survives_a_backend_restart_but_not_memory(
    app: WatchedPage, stack: AppStack
) -> None:
    page = app.page
    title = "Cette tâche survit au redémarrage"
    new_task_field(page).fill(title)
    new_task_field(page).press("Enter")
    expect(task_titles(page)).to_have_text([*DEMO, title])

    stack.stop_backend()
    stack.start_backend()
    page.reload()
    expect(task_titles(page)).to_have_text([*DEMO, title])

    stack.restart_backend_in_memory()
    page.reload()
    expect(page.locator(".storage")).to_have_text("In memory: lost when the backend restarts")
    expect(task_titles(page)).to_have_text(DEMO)
    app.assert_clean()


def test_backend_down_shows_the_error_banner_and_retry_recovers(
    app: WatchedPage, stack: AppStack
) -> None:
    page = app.page
    stack.stop_backend()
    page.reload()

    # Within the app's own request timeout (10 s): never an endless spinner. Behind compose,
    # nginx first waits for the vanished container's address to time out.
    banner = page.get_by_role("alert")
    expect(banner).to_contain_text("Could not load the tasks", timeout=ERROR_BANNER_WITHIN_MS)
    expect(page.get_by_role("status")).to_have_count(0)  # no endless spinner
    screenshot(page, "error-banner-desktop")
    page.set_viewport_size(PHONE)
    screenshot(page, "error-banner-phone")

    stack.start_backend()
    banner.get_by_role("button", name="Retry").click()

    expect(task_titles(page)).to_have_text(DEMO)
    expect(page.get_by_role("alert")).to_have_count(0)


def test_html_in_a_title_is_shown_as_text(app: WatchedPage, stack: AppStack) -> None:
    page = app.page
    title = "<img src=x onerror=alert(1)>"
    httpx.post(f"{stack.url}/api/tasks", json={"title": title}).raise_for_status()

    page.reload()

    expect(task_titles(page).nth(2)).to_have_text(title)
    expect(page.locator("img")).to_have_count(0)
    assert app.dialogs == []
    app.assert_clean()


def test_a_title_at_the_limit_in_emoji_is_typed_and_saved_whole(
    app: WatchedPage, stack: AppStack
) -> None:
    """The title limit counts code points, as the API does, and spaces around a title are
    trimmed before it is counted: the limit in emoji (two UTF-16 units each) fits."""
    page = app.page
    schema = httpx.get(f"{stack.url}/api/openapi.json").json()["components"]["schemas"]
    # The stored limit (Task.title): TaskCreate.title's pattern allows white space around it.
    title = "🐳" * schema["Task"]["properties"]["title"]["maxLength"]

    new_task_field(page).press_sequentially(f"  {title}  ")
    new_task_field(page).press("Enter")

    expect(task_titles(page)).to_have_text([*DEMO, title])
    assert httpx.get(f"{stack.url}/api/tasks").json()[-1]["title"] == title
    app.assert_clean()


def test_load_more_shows_every_task_in_order_without_duplicates(
    app: WatchedPage, stack: AppStack
) -> None:
    page = app.page
    with httpx.Client(base_url=stack.url) as client:
        for number in range(MANY):
            client.post("/api/tasks", json={"title": f"Tâche {number:03d}"}).raise_for_status()
    page.reload()
    expect(task_titles(page)).to_have_count(PAGE_SIZE)

    load_more = page.get_by_role("button", name="Load more")
    load_more.click()
    expect(task_titles(page)).to_have_count(2 * PAGE_SIZE)
    load_more.click()
    expect(task_titles(page)).to_have_count(len(DEMO) + MANY)

    expect(load_more).to_have_count(0)
    assert task_titles(page).all_inner_texts() == DEMO + [f"Tâche {n:03d}" for n in range(MANY)]
    expect(page.get_by_text(f"{len(DEMO) + MANY} tasks left")).to_be_visible()
    app.assert_clean()


def test_screenshots_of_the_main_states(app: WatchedPage, stack: AppStack) -> None:
    page = app.page
    tick(page, "Configurer CI/CD")
    new_task_field(page).fill(
        "Écrire un titre assez long pour voir comment il passe à la ligne sur un téléphone"
    )
    new_task_field(page).press("Enter")
    expect(task_titles(page)).to_have_count(3)

    for name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(viewport)
        screenshot(page, f"list-{name}")
        page.get_by_role("button", name='Edit "Apprendre Docker"').click()
        screenshot(page, f"editing-{name}")
        page.keyboard.press("Escape")

    for task in httpx.get(f"{stack.url}/api/tasks").json():
        httpx.delete(f"{stack.url}/api/tasks/{task['id']}").raise_for_status()
    page.reload()
    expect(page.get_by_text("No tasks yet. Add one above.")).to_be_visible()
    screenshot(page, "empty-phone")
    page.set_viewport_size(DESKTOP)
    screenshot(page, "empty-desktop")

    assert len(list(SCREENSHOTS.glob("*.png"))) >= 6
    app.assert_clean()


def test_page_load_figures(
    app: WatchedPage, stack: AppStack, capsys: pytest.CaptureFixture[str]
) -> None:
    """Not a speed test: prints what the browser measured, for the record."""
    page = app.page
    measure = """() => {
        const paint = performance.getEntriesByName("first-contentful-paint")[0];
        const nav = performance.getEntriesByType("navigation")[0];
        const resources = performance.getEntriesByType("resource");
        const bytes = resources.reduce((sum, r) => sum + r.transferSize, 0);
        return { fcp: paint.startTime, transferred: nav.transferSize + bytes };
    }"""

    def measured() -> dict[str, float]:
        # The paint's entry is recorded once its frame is shown, which can come after the
        # text is in the page: on a busy machine, a run read no entry yet.
        page.wait_for_function("performance.getEntriesByName('first-contentful-paint').length > 0")
        figures: dict[str, float] = page.evaluate(measure)
        return figures

    first = measured()
    page.reload()
    expect(task_titles(page)).to_have_text(DEMO)
    repeat = measured()

    with capsys.disabled():  # shown in the test run's output, for the record
        print(
            f"\nPage load at {stack.url}: first contentful paint {first['fcp']:.0f} ms, "
            f"{first['transferred']} bytes transferred; repeat visit: FCP "
            f"{repeat['fcp']:.0f} ms, {repeat['transferred']} bytes"
        )
    assert first["fcp"] > 0
    assert repeat["transferred"] < first["transferred"]  # hashed assets come from the cache


AXE = ROOT / "frontend" / "node_modules" / "axe-core" / "axe.min.js"


@pytest.mark.parametrize("color_scheme", ["light", "dark"])
def test_no_accessibility_violations(
    browser: Browser, stack: AppStack, color_scheme: Literal["light", "dark"]
) -> None:
    """axe-core's WCAG 2.1 AA rules (contrast included) on the list, editing and error states."""
    context = browser.new_context(color_scheme=color_scheme, viewport=DESKTOP)
    page = context.new_page()
    page.goto(stack.url)
    expect(task_titles(page)).to_have_text(DEMO)
    tick(page, "Configurer CI/CD")
    # Evaluated through the browser's debugging protocol: the page's CSP does not apply.
    page.evaluate(AXE.read_text())

    found = {"list": axe_violations(page)}
    page.get_by_role("button", name='Edit "Apprendre Docker"').click()
    found["editing"] = axe_violations(page)
    page.keyboard.press("Escape")
    page.get_by_role("textbox", name="New task").press("Enter")  # the empty-title message
    found["form problem"] = axe_violations(page)
    context.close()

    assert found == {"list": [], "editing": [], "form problem": []}


def axe_violations(page: Page) -> list[str]:
    results = page.evaluate(
        "async () => (await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21aa']}))"
        ".violations.map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', '))"
    )
    return list(results)


def test_toggle_all_and_clear_done_act_on_all_250_tasks(app: WatchedPage, stack: AppStack) -> None:
    page = app.page
    with httpx.Client(base_url=stack.url) as client:
        for number in range(MANY):
            client.post("/api/tasks", json={"title": f"Tâche {number:03d}"}).raise_for_status()
    page.reload()
    total = len(DEMO) + MANY
    expect(page.get_by_text(f"{total} tasks left")).to_be_visible()
    expect(task_titles(page)).to_have_count(PAGE_SIZE)  # one page loaded, the totals for all

    page.get_by_role("checkbox", name="Mark all as done").click()  # its name changes: below
    expect(page.get_by_text("0 tasks left")).to_be_visible()
    expect(page.get_by_role("checkbox", name="Mark all as not done")).to_be_checked()
    summary = httpx.get(f"{stack.url}/api/tasks/summary").json()
    assert summary == {"total": total, "done": total, "open": 0}

    page.get_by_role("button", name="Clear done").click()  # asks first: some not shown

    expect(page.get_by_text("No tasks yet. Add one above.")).to_be_visible()
    assert app.dialogs == [
        f"Delete all {total} done tasks? {total - PAGE_SIZE} of them are not shown here."
    ]
    assert httpx.get(f"{stack.url}/api/tasks/summary").json()["total"] == 0
    app.assert_clean()


def test_two_tabs_stay_coherent_without_polling(
    browser: Browser, app: WatchedPage, stack: AppStack
) -> None:
    first = app.page
    context = browser.new_context(viewport=DESKTOP)
    second_tab = WatchedPage(context.new_page())
    second = second_tab.page
    open_on_demo_tasks(second_tab, stack.url)
    requests: list[str] = []
    second.on("request", lambda request: requests.append(request.url))

    new_task_field(first).fill("Ajoutée dans le premier onglet")
    new_task_field(first).press("Enter")
    tick(first, "Apprendre Docker")
    expect(first.get_by_text("2 tasks left")).to_be_visible()
    second.wait_for_timeout(IDLE_TAB_WATCH_MS)
    idle_requests = list(requests)  # the hidden tab asks nothing by itself
    second.bring_to_front()
    second.evaluate("window.dispatchEvent(new Event('focus'))")

    expect(task_titles(second)).to_have_text([*DEMO, "Ajoutée dans le premier onglet"])
    expect(second.get_by_text("2 tasks left")).to_be_visible()
    expect(
        second.get_by_role("checkbox", name='Mark "Apprendre Docker" as not done')
    ).to_be_checked()
    second_tab.assert_clean()
    context.close()
    assert idle_requests == []
    app.assert_clean()


def live_region(page: Page) -> Locator:
    """The page's one polite live region: what a screen reader hears after an action."""
    return page.locator("[aria-live=polite]")


def assert_no_axe_violations(page: Page) -> None:
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.evaluate(AXE.read_text())
    assert axe_violations(page) == []


def test_deleting_with_the_keyboard_moves_the_focus_to_the_next_task_not_the_page(
    app: WatchedPage, stack: AppStack
) -> None:
    page = app.page
    httpx.post(f"{stack.url}/api/tasks", json={"title": "Troisième"}).raise_for_status()
    page.reload()
    expect(task_titles(page)).to_have_text([*DEMO, "Troisième"])

    # The last task: the focus goes to the previous one's Delete.
    page.get_by_role("button", name='Delete "Troisième"').focus()
    page.keyboard.press("Enter")
    expect(task_titles(page)).to_have_text(DEMO)
    expect(page.get_by_role("button", name='Delete "Configurer CI/CD"')).to_be_focused()
    expect(live_region(page)).to_have_text('Deleted "Troisième".')
    assert_no_axe_violations(page)

    # The first task: to the next one's Delete.
    page.get_by_role("button", name='Delete "Apprendre Docker"').focus()
    page.keyboard.press("Enter")
    expect(task_titles(page)).to_have_text(["Configurer CI/CD"])
    expect(page.get_by_role("button", name='Delete "Configurer CI/CD"')).to_be_focused()

    # The only task: to the new-task field.
    page.keyboard.press("Enter")
    expect(page.get_by_text("No tasks yet. Add one above.")).to_be_visible()
    expect(new_task_field(page)).to_be_focused()
    expect(live_region(page)).to_have_text('Deleted "Configurer CI/CD".')
    assert_no_axe_violations(page)
    app.assert_clean()


def test_a_tick_out_of_the_active_view_moves_the_focus_to_the_next_task(
    app: WatchedPage,
) -> None:
    page = app.page
    page.get_by_role("link", name="Active").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("link", name="Active")).to_have_attribute("aria-current", "page")

    page.get_by_role("checkbox", name='Mark "Apprendre Docker" as done').focus()
    page.keyboard.press("Space")

    expect(task_titles(page)).to_have_text(["Configurer CI/CD"])
    expect(page.get_by_role("checkbox", name='Mark "Configurer CI/CD" as done')).to_be_focused()
    expect(live_region(page)).to_have_text(
        '"Apprendre Docker" marked done: not shown under Active.'
    )
    assert_no_axe_violations(page)
    app.assert_clean()


def test_clear_done_moves_the_focus_to_the_new_task_field(app: WatchedPage) -> None:
    page = app.page
    page.get_by_role("checkbox", name='Mark "Configurer CI/CD" as done').focus()
    page.keyboard.press("Space")
    expect(page.get_by_text("1 task left")).to_be_visible()

    page.get_by_role("button", name="Clear done").focus()
    page.keyboard.press("Enter")

    expect(task_titles(page)).to_have_text(["Apprendre Docker"])
    expect(page.get_by_role("button", name="Clear done")).to_be_disabled()
    expect(new_task_field(page)).to_be_focused()
    expect(live_region(page)).to_have_text("Deleted 1 done task.")
    assert_no_axe_violations(page)
    app.assert_clean()


def test_a_rolled_back_change_that_hides_the_focused_task_moves_the_focus(
    app: WatchedPage, stack: AppStack
) -> None:
    """In the Active view, "Mark all as not done" shows every task at once; the user moves
    to one; the server refuses the change: the tasks go back to done, out of the view."""
    page = app.page
    httpx.patch(f"{stack.url}/api/tasks", json={"done": True}).raise_for_status()
    page.reload()
    page.get_by_role("link", name="Active").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_text("Nothing left to do.")).to_be_visible()
    held: list[Route] = []
    page.route(
        f"{stack.url}/api/tasks",
        lambda route: held.append(route) if route.request.method == "PATCH" else route.continue_(),
    )

    page.get_by_role("checkbox", name="Mark all as not done").focus()
    page.keyboard.press("Space")
    expect(task_titles(page)).to_have_text(DEMO)
    page.get_by_role("checkbox", name='Mark "Configurer CI/CD" as done').focus()
    deadline = time.monotonic() + 10
    while not held:  # the route's handler runs while Playwright waits
        assert time.monotonic() < deadline, "the change never reached the network"
        page.wait_for_timeout(50)
    held[0].fulfill(status=503, json={"detail": "The database is unavailable"})

    expect(page.get_by_role("alert")).to_contain_text("Could not mark every task not done")
    expect(page.get_by_text("Nothing left to do.")).to_be_visible()
    expect(new_task_field(page)).to_be_focused()
    assert_no_axe_violations(page)


def fail_next_change(page: Page, stack: AppStack, detail: str) -> None:
    """The next PATCH of a task is refused (422, `detail`), as a server would."""
    refused: list[str] = []

    def refuse_once(route: Route) -> None:
        if route.request.method == "PATCH" and not refused:
            refused.append(route.request.url)
            route.fulfill(status=422, json={"detail": detail})
        else:
            route.continue_()

    page.route(f"{stack.url}/api/tasks/*", refuse_once)


def test_a_notice_quoting_a_long_title_fits_every_width_from_320_px(
    app: WatchedPage, stack: AppStack
) -> None:
    page = app.page
    title = "Supercalifragilisticexpialidocious" * 5 + "x" * 30  # 200 characters, no space
    assert len(title) == 200
    httpx.post(f"{stack.url}/api/tasks", json={"title": title}).raise_for_status()
    page.reload()
    fail_next_change(page, stack, "The server refused it.")

    page.get_by_role("checkbox", name=f'Mark "{title}" as done').focus()
    page.keyboard.press("Space")
    notice = page.get_by_role("alert")
    expect(notice).to_contain_text(f'Could not complete "{title}"')

    for width in (320, 360, 390, 768, 1280):
        page.set_viewport_size({"width": width, "height": 800})
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        dismiss = notice.get_by_role("button", name="Dismiss").bounding_box()
        assert dismiss is not None
        assert dismiss["x"] >= 0
        assert dismiss["x"] + dismiss["width"] <= width
        if width in (360, 1280):
            screenshot(page, f"notice-long-title-{width}")
    assert_no_axe_violations(page)


def test_a_right_to_left_override_in_a_title_stays_inside_the_notice_quote(
    app: WatchedPage, stack: AppStack
) -> None:
    """U+202E reverses what follows it up to the end of its paragraph, unless the title is
    isolated from the sentence around it: then only the title is reversed."""
    page = app.page
    title = "abc\u202edef"
    httpx.post(f"{stack.url}/api/tasks", json={"title": title}).raise_for_status()
    page.reload()
    fail_next_change(page, stack, "No.")

    page.get_by_role("checkbox", name=f'Mark "{title}" as done').click()
    notice = page.get_by_role("alert").locator("p")
    expect(notice).to_contain_text("it is back as it was: No.")

    # Where "back" and "was" are drawn: left to right, on one line, as the sentence reads.
    boxes = notice.evaluate(
        """(p) => {
            const node = [...p.childNodes].find((n) => n.textContent.includes("back as it was"));
            const box = (word) => {
                const range = document.createRange();
                const at = node.textContent.indexOf(word);
                range.setStart(node, at);
                range.setEnd(node, at + word.length);
                return range.getBoundingClientRect().toJSON();
            };
            return { back: box("back"), was: box("was") };
        }"""
    )
    assert boxes["back"]["top"] == boxes["was"]["top"]
    assert boxes["back"]["left"] < boxes["was"]["left"]
