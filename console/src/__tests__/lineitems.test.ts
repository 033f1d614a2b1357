import { describe, expect, it } from "vitest";
import { decimalText, lineTotal, linesSum, scaled, unscaled } from "../lineitems";

describe("a line's net amount", () => {
  it("is quantity times unit price when there is no discount", () => {
    expect(lineTotal("3", "1200.00", "0")).toBe("3600.00");
  });

  it("takes the discount off", () => {
    expect(lineTotal("2", "1000", "12.5")).toBe("1750.00");
  });

  it("rounds half a cent up", () => {
    // 1 × 0.05 × 0.9 = 0.045 → 0.05
    expect(lineTotal("1", "0.05", "10")).toBe("0.05");
    // 1.5 × 0.33 = 0.495 → 0.50
    expect(lineTotal("1.5", "0.33", "0")).toBe("0.50");
  });

  it("rounds less than half a cent down", () => {
    // 1 × 0.01 × 0.4 = 0.004 → 0.00
    expect(lineTotal("1", "0.01", "60")).toBe("0.00");
    // 0.333 × 10.00 = 3.33
    expect(lineTotal("0.333", "10", "0")).toBe("3.33");
  });

  it("is nothing at a full discount", () => {
    expect(lineTotal("5", "99.99", "100")).toBe("0.00");
  });

  it("does not suffer binary floating point", () => {
    // 0.1 × 3 in floats is 0.30000000000000004; 1.005 × 1 rounds to 1.01, not 1.00
    expect(lineTotal("3", "0.10", "0")).toBe("0.30");
    expect(lineTotal("1.005", "1", "0")).toBe("1.01");
  });
});

describe("the deal's value", () => {
  it("is the sum of its lines' rounded nets", () => {
    const lines = [
      { productCode: "A", quantity: "1", unitPrice: "0.05", discountPercent: "10" },
      { productCode: "B", quantity: "1", unitPrice: "0.05", discountPercent: "10" },
      { productCode: "C", quantity: "2", unitPrice: "1000", discountPercent: "12.5" },
    ];
    // each 0.045 rounds to 0.05 first: 0.05 + 0.05 + 1750.00, not round(0.09) + 1750
    expect(linesSum(lines)).toBe("1750.10");
  });

  it("is zero with no lines", () => {
    expect(linesSum([])).toBe("0.00");
  });
});

describe("decimal text", () => {
  it("scales and unscales", () => {
    expect(scaled("12.345", 2)).toBe(1235n);
    expect(scaled("7", 3)).toBe(7000n);
    expect(unscaled(5n, 2)).toBe("0.05");
    expect(unscaled(-150n, 2)).toBe("-1.50");
  });

  it("refuses what is not a decimal", () => {
    expect(() => scaled("1e3", 2)).toThrow();
    expect(() => scaled("", 2)).toThrow();
  });

  it("writes a typed number for the API without float noise", () => {
    expect(decimalText(0.1 + 0.2, 2)).toBe("0.3");
    expect(decimalText(12.5, 2)).toBe("12.5");
    expect(decimalText(3, 3)).toBe("3");
    expect(decimalText(null, 2)).toBe("0");
  });
});
