import { ApiError, listTasks, nextPageUrl } from "./api";
import { MockApi } from "./test/mockApi";

describe("nextPageUrl", () => {
  it("reads the next page from a Link header", () => {
    expect(nextPageUrl('</api/tasks?after_id=100&limit=100>; rel="next"')).toBe(
      "/api/tasks?after_id=100&limit=100",
    );
  });

  it("finds rel=next among other links", () => {
    expect(nextPageUrl('</a>; rel="prev", </b>; rel="next"')).toBe("/b");
  });

  it("is null without a next link", () => {
    expect(nextPageUrl(null)).toBeNull();
    expect(nextPageUrl('</a>; rel="prev"')).toBeNull();
  });
});

describe("listTasks", () => {
  it("returns the tasks and the next page's URL", async () => {
    const api = new MockApi();
    api.addTasks(150);

    const page = await listTasks();

    expect(page.tasks).toHaveLength(100);
    expect(page.next).toBe("/api/tasks?limit=100&after_id=100");
  });

  it("turns an unreachable server into an ApiError with a readable message", async () => {
    const api = new MockApi();
    api.down = true;

    await expect(listTasks()).rejects.toThrow(ApiError);
    await expect(listTasks()).rejects.toThrow(/cannot be reached/);
  });

  it("says the server is unavailable on 503", async () => {
    const api = new MockApi();
    api.failNext("GET", 503);

    await expect(listTasks()).rejects.toMatchObject({ status: 503, message: /unavailable/ });
  });
});
