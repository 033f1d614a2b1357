import { describe, expect, it } from "vitest";
import { fileSize } from "../format";

describe("a file's size as people read it", () => {
  it("counts bytes, then kilobytes, then megabytes with one decimal", () => {
    expect(fileSize(812)).toBe("812 B");
    expect(fileSize(34 * 1024 + 100)).toBe("34 KB");
    expect(fileSize(Math.round(2.4 * 1024 * 1024))).toBe("2.4 MB");
  });
});
