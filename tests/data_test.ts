import { strict as assert } from "node:assert";
import { UserError } from "../lib/errors.ts";
import {
  binCategory,
  binNumeric,
  createRecordEncoder,
  datasetName,
  type DatasetSchema,
  digestTable,
  encodeRecord,
  encodeTable,
  featureStats,
  inferSchema,
  isBlank,
  type Matrix,
  type NumericStats,
  OTHER_CATEGORY,
  parseCsv,
  parseNumber,
  psi,
  type RawTable,
  readCsvFile,
  stratifiedKFold,
  stratifiedSplit,
  subsetLabels,
  subsetMatrix,
} from "../lib/data/mod.ts";

const TELCO = "data/telco-customer-churn.csv";
let telcoPromise: Promise<RawTable> | undefined;
const telco = () => (telcoPromise ??= readCsvFile(TELCO));

/** Asserts that `fn` throws a UserError whose message contains every fragment. */
async function rejects(fn: () => unknown, code: string, ...fragments: string[]): Promise<void> {
  let error: unknown;
  try {
    await fn();
  } catch (e) {
    error = e;
  }
  assert.ok(error instanceof UserError, `expected a UserError, got ${error}`);
  assert.equal(error.code, code, error.message);
  assert.ok(!error.message.includes("\n"), `message is one line: ${error.message}`);
  for (const f of fragments) {
    assert.ok(error.message.includes(f), `"${error.message}" should contain "${f}"`);
  }
}

async function withTempFile<T>(
  content: string | Uint8Array,
  fn: (path: string) => Promise<T>,
): Promise<T> {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/x.csv`;
  if (typeof content === "string") await Deno.writeTextFile(path, content);
  else await Deno.writeFile(path, content);
  try {
    return await fn(path);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function at(X: Matrix, r: number, c: number): number {
  return X.data[c * X.nRows + r];
}

function sameNumber(a: number, b: number): boolean {
  return Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b));
}

// --- CSV -------------------------------------------------------------------

Deno.test("csv: Telco loads with 7043 rows and 21 columns", async () => {
  const t = await telco();
  assert.equal(t.source, TELCO);
  assert.equal(t.header.length, 21);
  assert.equal(t.header[0], "customerID");
  assert.equal(t.rows.length, 7043);
  assert.ok(t.rows.every((r) => r.length === 21));
});

Deno.test("csv: quotes, CRLF and BOM, from text and from a file", async () => {
  const text = '\uFEFFa,b,c\r\n" x ","say ""hi""","1,5"\r\n"multi\nline",2,3\r\n\r\n4,5,6\r\n';
  const check = (t: RawTable) => {
    assert.deepEqual(t.header, ["a", "b", "c"]);
    assert.deepEqual(t.rows, [[" x ", 'say "hi"', "1,5"], ["multi\nline", "2", "3"], [
      "4",
      "5",
      "6",
    ]]);
    // Lines are file lines: the quoted newline and the blank line both count.
    assert.deepEqual(Array.from(t.lines!), [2, 4, 6]);
  };
  check(parseCsv(text, "t.csv"));
  await withTempFile(text, async (p) => check(await readCsvFile(p)));
});

Deno.test("csv: file errors name the file and line", async () => {
  await rejects(
    () => readCsvFile("no/such/file.csv"),
    "NOT_FOUND",
    "no/such/file.csv",
    "not found",
  );
  const cases: [string, string, string[]][] = [
    ["", "EMPTY_CSV", ["empty"]],
    ["\n\n", "EMPTY_CSV", ["empty"]],
    ["a,b,c\n", "EMPTY_CSV", ["no data rows", "line 1"]],
    ["a,b,c\n1,2,3\n1,2,3\n4,5\n", "BAD_CSV", ["line 4: expected 3 fields, found 2"]],
    ["a,b\n1,2,3\n", "BAD_CSV", ["line 2: expected 2 fields, found 3"]],
    ["a;b;c\n1;2;3\n", "BAD_CSV", ["line 1", "only one column", "';'"]],
    ["just text\nmore text\n", "BAD_CSV", ["line 1", "only one column"]],
    ['a,b\n1,"2\n3,4\n', "BAD_CSV", ["line 3", "never closed"]],
    ['a,b\n1,"2"x\n', "BAD_CSV", ["line 2, field 2", "closing quote"]],
    ['a,b\n1,2"x"\n', "BAD_CSV", ["line 2, field 2", "quote"]],
    ["a,b,a\n1,2,3\n", "BAD_CSV", ["line 1", "duplicate column name 'a'"]],
    ["a,,c\n1,2,3\n", "BAD_CSV", ["line 1, column 2", "empty column name"]],
  ];
  for (const [text, code, fragments] of cases) {
    await rejects(() => parseCsv(text, "in.csv"), code, "in.csv: ", ...fragments);
    await withTempFile(text, (p) => rejects(() => readCsvFile(p), code, `${p}: `, ...fragments));
  }
  const binary = new Uint8Array([0x50, 0x4b, 0x03, 0x04, 0x00, 0x00, 0x08, 0x00]);
  await withTempFile(binary, (p) => rejects(() => readCsvFile(p), "BAD_CSV", p, "byte 4", "NUL"));
  await rejects(() => parseCsv("a,b\n1,\0\n", "n.csv"), "BAD_CSV", "n.csv", "NUL");
});

// --- Schema ----------------------------------------------------------------

Deno.test("schema: Telco columns, classes and encoded names", async () => {
  const t = await telco();
  const schema = inferSchema(t, { target: "Churn" });
  assert.deepEqual(schema.dropped, [{ name: "customerID", reason: "identifier" }]);
  assert.deepEqual(schema.classes, ["No", "Yes"]);
  assert.equal(schema.features.length, 19);
  const kinds = Object.fromEntries(schema.features.map((f) => [f.name, f.kind]));
  for (const n of ["SeniorCitizen", "tenure", "MonthlyCharges", "TotalCharges"]) {
    assert.equal(kinds[n], "numeric", n);
  }
  const total = schema.features.find((f) => f.name === "TotalCharges")!;
  assert.equal(total.kind === "numeric" && total.fill, 1397.475);
  const contract = schema.features.find((f) => f.name === "Contract")!;
  assert.deepEqual(contract, {
    name: "Contract",
    kind: "categorical",
    encoding: "onehot",
    categories: ["Month-to-month", "One year", "Two year"],
  });
  assert.equal(schema.encodedNames.length, 40);
  assert.deepEqual(schema.encodedNames.slice(0, 6), [
    "gender=Male",
    "SeniorCitizen",
    "Partner=Yes",
    "Dependents=Yes",
    "tenure",
    "PhoneService=Yes",
  ]);
  assert.equal(schema.encodedSource.length, 40);
  assert.equal(schema.features[schema.encodedSource[39]].name, "TotalCharges");
  // Deterministic: same input, same schema, byte for byte.
  assert.equal(JSON.stringify(inferSchema(t, { target: "Churn" })), JSON.stringify(schema));
});

Deno.test("schema: column kinds and drop rules", () => {
  const rows: string[] = [];
  for (let i = 0; i < 200; i++) {
    rows.push([
      i, // id: numeric, unique, id-like name
      `u${i}`, // user: mostly distinct text
      "same", // const
      "", // blank
      i % 3 === 0 ? "" : String(i % 10), // num with blanks
      i % 2 ? "yes" : "no", // bin
      `lvl${i % 70}`, // many: 70 levels
      i % 4, // skip (user drop)
      i % 3, // y
    ].join(","));
  }
  const table = parseCsv(
    `row_id,user,const,blank,num,bin,many,skip,y\n${rows.join("\n")}\n`,
    "k.csv",
  );
  const s = inferSchema(table, { target: "y", drop: ["skip"] });
  assert.deepEqual(s.dropped, [
    { name: "row_id", reason: "identifier" },
    { name: "user", reason: "identifier" },
    { name: "const", reason: "constant" },
    { name: "blank", reason: "empty" },
    { name: "skip", reason: "user" },
  ]);
  assert.deepEqual(s.features.map((f) => [f.name, f.kind]), [
    ["num", "numeric"],
    ["bin", "categorical"],
    ["many", "categorical"],
  ]);
  assert.deepEqual(s.encodedNames.slice(0, 2), ["num", "bin=yes"]);
  const many = s.features[2];
  assert.ok(many.kind === "categorical");
  assert.equal(many.categories.length, 64);
  assert.equal(many.categories[63], OTHER_CATEGORY);
  assert.deepEqual(s.classes, ["0", "1", "2"]);
  // Rare levels pool into __other__ at encode time, and are not "unknown".
  const { X, unknownCategories } = encodeTable(s, table, { requireTarget: true });
  const otherCol = s.encodedNames.indexOf(`many=${OTHER_CATEGORY}`);
  let pooled = 0;
  for (let r = 0; r < X.nRows; r++) pooled += at(X, r, otherCol);
  assert.ok(pooled > 0);
  assert.deepEqual(unknownCategories, {});

  const numeric = parseCsv("x,y\n1,10\n2,2\n3,1\n", "n.csv");
  assert.deepEqual(inferSchema(numeric, { target: "y" }).classes, ["1", "2", "10"]);
});

Deno.test("schema: target errors", async () => {
  const t = parseCsv("a,b,y\n1,x,Yes\n2,z,No\n", "s.csv");
  await rejects(
    () => inferSchema(t, { target: "Churn" }),
    "MISSING_COLUMN",
    "target column 'Churn' not found in s.csv; columns: a, b, y",
  );
  const blank = parseCsv("a,b,y\n1,x,Yes\n\n2,z,\n3,q,\n", "b.csv");
  await rejects(
    () => inferSchema(blank, { target: "y" }),
    "BAD_TARGET",
    "b.csv: line 4: target column 'y' is blank",
    "1 more",
  );
  const one = parseCsv("a,y\n1,No\n2,No\n", "o.csv");
  await rejects(() => inferSchema(one, { target: "y" }), "BAD_TARGET", "o.csv", "only one class");
  await rejects(() => inferSchema(t, { target: "y", drop: ["nope"] }), "MISSING_COLUMN", "nope");
  await rejects(
    () => inferSchema(t, { target: "y", drop: ["a", "b"] }),
    "NO_FEATURES",
    "s.csv",
    "a (user), b (user)",
  );
});

// --- Encoding --------------------------------------------------------------

Deno.test("encode: Telco matrix, NaN for blank TotalCharges, labels", async () => {
  const t = await telco();
  const schema = inferSchema(t, { target: "Churn" });
  const { X, y, unknownCategories } = encodeTable(schema, t, { requireTarget: true });
  assert.equal(X.nRows, 7043);
  assert.equal(X.nCols, 40);
  assert.equal(X.data.length, 7043 * 40);
  const tc = schema.encodedNames.indexOf("TotalCharges");
  let nan = 0;
  for (let r = 0; r < X.nRows; r++) if (Number.isNaN(at(X, r, tc))) nan++;
  assert.equal(nan, 11);
  assert.deepEqual(unknownCategories, {});
  const yes = y!.reduce((a, b) => a + b, 0) / y!.length;
  assert.ok(Math.abs(yes - 0.265) < 0.001, `churn rate ${yes}`);
  // Row 0: Female, 0, Yes, No, 1, ... 29.85, 29.85, No
  assert.equal(at(X, 0, schema.encodedNames.indexOf("gender=Male")), 0);
  assert.equal(at(X, 0, schema.encodedNames.indexOf("Partner=Yes")), 1);
  assert.equal(at(X, 0, schema.encodedNames.indexOf("Contract=Month-to-month")), 1);
  assert.equal(at(X, 0, schema.encodedNames.indexOf("MonthlyCharges")), Math.fround(29.85));
  assert.equal(y![0], 0);
  assert.equal(encodeTable(schema, t, { requireTarget: false }).y, null);
});

Deno.test("encode: column order does not matter; extra columns ignored", async () => {
  const t = await telco();
  const schema = inferSchema(t, { target: "Churn" });
  const rows = t.rows.slice(0, 300);
  const base = encodeTable(schema, { ...t, rows, lines: undefined }, { requireTarget: true });
  const order = t.header.map((_, i) => i).reverse();
  const shuffled: RawTable = {
    source: "r.csv",
    header: [...order.map((i) => t.header[i]), "extra"],
    rows: rows.map((r) => [...order.map((i) => r[i]), "zzz"]),
  };
  const other = encodeTable(schema, shuffled, { requireTarget: true });
  assert.deepEqual(other.X, base.X);
  assert.deepEqual(other.y, base.y);
  // Without the target column, prediction-style encoding still works.
  const noTarget: RawTable = {
    source: "p.csv",
    header: t.header.filter((h) => h !== "Churn"),
    rows: rows.map((r) => r.filter((_, i) => t.header[i] !== "Churn")),
  };
  assert.deepEqual(encodeTable(schema, noTarget, { requireTarget: false }).X, base.X);
  await rejects(
    () => encodeTable(schema, noTarget, { requireTarget: true }),
    "MISSING_COLUMN",
    "p.csv",
    "'Churn'",
  );
});

Deno.test("encode: missing columns, unknown categories, unknown labels", async () => {
  const train = parseCsv("n,c,y\n1,a,No\n2,b,Yes\n3,c,No\n", "train.csv");
  const schema = inferSchema(train, { target: "y" });
  await rejects(
    () => encodeTable(schema, parseCsv("y,z\nNo,1\n", "p.csv"), { requireTarget: false }),
    "MISSING_COLUMN",
    "p.csv: missing model columns: n, c",
  );
  const live = parseCsv("c,n,y\nd,1,No\nd,x,Yes\n,,No\na,4,No\n", "live.csv");
  const { X, unknownCategories } = encodeTable(schema, live, { requireTarget: true });
  assert.deepEqual(unknownCategories, { c: 2 });
  assert.deepEqual(Array.from(X.data), [1, NaN, NaN, 4, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
  await rejects(
    () =>
      encodeTable(schema, parseCsv("n,c,y\n1,a,No\n\n2,b,Maybe\n", "e.csv"), {
        requireTarget: true,
      }),
    "BAD_TARGET",
    "e.csv: line 4: unknown target label 'Maybe'",
  );
});

Deno.test("encode: encodeRecord matches encodeTable on the same rows", async () => {
  const t = await telco();
  const schema = inferSchema(t, { target: "Churn" });
  const { X } = encodeTable(schema, t, { requireTarget: false });
  const encode = createRecordEncoder(schema);
  const out = new Float64Array(X.nCols);
  const blankRow = t.rows.findIndex((r) => r[t.header.indexOf("TotalCharges")].trim() === "");
  for (const r of [0, 1, 2, 100, blankRow, 7042]) {
    const record = Object.fromEntries(t.header.map((h, i) => [h, t.rows[r][i]]));
    const res = encode(record, out);
    assert.deepEqual(res, { errors: [], unknown: [] });
    for (let c = 0; c < X.nCols; c++) {
      assert.ok(sameNumber(Math.fround(out[c]), at(X, r, c)), `row ${r} ${schema.encodedNames[c]}`);
    }
  }
  // Typed JSON values: numbers stay numbers, 0 categorises like the CSV's "0".
  const typed = { ...Object.fromEntries(t.header.map((h, i) => [h, t.rows[0][i]])) } as Record<
    string,
    unknown
  >;
  typed.tenure = 1;
  typed.SeniorCitizen = 0;
  typed.MonthlyCharges = 29.85;
  const out2 = new Float64Array(X.nCols);
  assert.deepEqual(encodeRecord(schema, typed, out2), { errors: [], unknown: [] });
  for (let c = 0; c < X.nCols; c++) assert.ok(sameNumber(Math.fround(out2[c]), at(X, 0, c)));
});

Deno.test("encode: features named like Object.prototype members never read inherited values", () => {
  const schema = inferSchema(
    parseCsv("toString,constructor,y\na,1,No\nb,2,Yes\na,3,No\n", "proto.csv"),
    { target: "y" },
  );
  const encode = createRecordEncoder(schema);
  const out = new Float64Array(schema.encodedNames.length);
  const missing = encode({}, out);
  assert.deepEqual(missing.errors.map((e) => [e.field, e.message]).sort(), [
    ["constructor", "missing field"],
    ["toString", "missing field"],
  ]);
  assert.deepEqual(encode({ toString: "b", constructor: 2 }, out), { errors: [], unknown: [] });
  assert.deepEqual(Array.from(out), [1, 2]);
  assert.equal(isBlank(" \u00a0\t"), true);
  assert.equal(isBlank("\u00a0x"), false);
  assert.equal(isBlank("x "), false);
});

Deno.test("encode: encodeRecord validates fields", () => {
  const schema = inferSchema(parseCsv("n,c,b,y\n1,a,t,No\n2,b,f,Yes\n3,c,t,No\n"), {
    target: "y",
  });
  const out = new Float64Array(schema.encodedNames.length).fill(7);
  assert.deepEqual(encodeRecord(schema, { n: null, c: null, b: "f" }, out), {
    errors: [],
    unknown: [],
  });
  assert.ok(Number.isNaN(out[0]));
  assert.deepEqual(Array.from(out.subarray(1)), [0, 0, 0, 0]);
  assert.deepEqual(encodeRecord(schema, { n: "2.5", c: "zz", b: "t" }, out).unknown, ["c"]);
  assert.deepEqual(Array.from(out), [2.5, 0, 0, 0, 1]);
  const bad = encodeRecord(schema, { n: true, c: { x: 1 } }, out).errors;
  assert.deepEqual(bad.map((e) => e.field), ["n", "c", "b"]);
  assert.equal(bad[2].message, "missing field");
  for (const n of ["abc", Infinity, [1], {}]) {
    assert.equal(encodeRecord(schema, { n, c: "a", b: "t" }, out).errors.length, 1, String(n));
  }
});

Deno.test("numbers: decimal only, in CSV cells and JSON strings alike", () => {
  const decimal: [string, number][] = [
    ["29.85", 29.85],
    ["-2", -2],
    ["+7", 7],
    [".5", 0.5],
    ["5.", 5],
    ["1e3", 1000],
    ["2.5E-1", 0.25],
    [" 12 ", 12],
    ["007", 7],
    ["0", 0],
  ];
  for (const [text, value] of decimal) assert.equal(parseNumber(text), value, text);
  const notDecimal = [
    "0x10",
    "0X1f",
    "0b1",
    "0B101",
    "0o7",
    "0O17",
    " 0x10",
    "\u00a00x10",
    "Infinity",
    "-Infinity",
    "1e999",
    "NaN",
    "1_000",
    "1,5",
    "",
    "   ",
    "\t",
    "1e",
    ".",
    "-",
    "--1",
  ];
  for (const text of notDecimal) assert.ok(Number.isNaN(parseNumber(text)), JSON.stringify(text));

  // The JSON record encoder refuses them by field; a CSV cell reads as missing.
  const schema = inferSchema(parseCsv("n,y\n1,No\n2,Yes\n3,No\n"), { target: "y" });
  const out = new Float64Array(schema.encodedNames.length);
  for (const n of ["0x10", "0b1", "0o7", "Infinity", "1_0"]) {
    const { errors } = encodeRecord(schema, { n }, out);
    assert.equal(errors.length, 1, n);
    assert.equal(errors[0].field, "n");
    assert.match(errors[0].message, /decimal/, n);
  }
  assert.deepEqual(encodeRecord(schema, { n: "1e3" }, out).errors, []);
  assert.equal(out[0], 1000);
  const table = parseCsv("n,y\n0x10,No\n1e1,Yes\n", "hex.csv");
  const { X } = encodeTable(schema, table, { requireTarget: true });
  assert.ok(Number.isNaN(at(X, 0, 0)));
  assert.equal(at(X, 1, 0), 10);
  // A column of radix literals is text, not numbers.
  const inferred = inferSchema(
    parseCsv("h,y\n0x1,No\n0x2,Yes\n0x1,No\n0x2,Yes\n", "h.csv"),
    { target: "y" },
  );
  assert.equal(inferred.features[0].kind, "categorical");
});

Deno.test("encode: the record encoder reports each feature's category index", () => {
  const schema = inferSchema(parseCsv("n,c,b,y\n1,a,t,No\n2,b,f,Yes\n3,c,t,No\n"), {
    target: "y",
  });
  const encode = createRecordEncoder(schema);
  const out = new Float64Array(schema.encodedNames.length);
  const cats = new Int32Array(schema.features.length).fill(9);
  const [c, b] = [schema.features[1], schema.features[2]];
  assert.equal(c.kind, "categorical");
  assert.equal(b.kind, "categorical");
  const index = (f: typeof c, v: string) => f.kind === "categorical" ? f.categories.indexOf(v) : -2;
  encode({ n: 4, c: "c", b: "f" }, out, cats);
  assert.deepEqual(Array.from(cats), [-1, index(c, "c"), index(b, "f")]);
  // Missing and unseen values have no index.
  encode({ n: 4, c: "zz", b: null }, out, cats);
  assert.deepEqual(Array.from(cats), [-1, -1, -1]);
  assert.throws(() => encode({ n: 1, c: "a", b: "t" }, out, new Int32Array(2)), RangeError);
});

// --- Splits ----------------------------------------------------------------

Deno.test("split: stratified, deterministic, class ratio kept", async () => {
  const t = await telco();
  const schema = inferSchema(t, { target: "Churn" });
  const { X, y } = encodeTable(schema, t, { requireTarget: true });
  const labels = y!;
  const a = stratifiedSplit(labels, 2, 0.2, 42);
  const b = stratifiedSplit(labels, 2, 0.2, 42);
  assert.deepEqual(a, b);
  assert.notDeepEqual(stratifiedSplit(labels, 2, 0.2, 7).test, a.test);
  assert.equal(a.train.length + a.test.length, labels.length);
  assert.deepEqual(
    Array.from(new Set([...a.train, ...a.test])).sort((p, q) => p - q),
    Array.from(labels.keys()),
  );
  for (const part of [a.train, a.test]) {
    for (let i = 1; i < part.length; i++) assert.ok(part[i] > part[i - 1], "sorted, unique");
  }
  for (const c of [0, 1]) {
    const total = labels.filter((v) => v === c).length;
    const inTest = subsetLabels(labels, a.test).filter((v) => v === c).length;
    assert.ok(Math.abs(inTest - total * 0.2) <= 1, `class ${c}: ${inTest} of ${total}`);
  }
  const Xt = subsetMatrix(X, a.test);
  assert.equal(Xt.nRows, a.test.length);
  assert.equal(at(Xt, 3, 5), at(X, a.test[3], 5));

  const tiny = Int32Array.from([0, 0, 0, 0, 1]);
  await rejects(() => stratifiedSplit(tiny, 2, 0.5, 1, ["No", "Yes"]), "BAD_SPLIT", "'Yes'");
  await rejects(() => stratifiedSplit(tiny, 2, 1.5, 1), "BAD_INPUT", "test size");
});

Deno.test("split: many one- and two-row classes name the classes too small for a test row", async () => {
  // 300 classes of 1 or 2 rows: at test size 0.2 none rounds to a test row.
  const y = Int32Array.from({ length: 450 }, (_, i) => i % 300);
  const names = Array.from({ length: 300 }, (_, c) => `c${c}`);
  await rejects(
    () => stratifiedSplit(y, 300, 0.2, 1, names),
    "BAD_SPLIT",
    "at least 3 rows",
    "all 300 classes have fewer",
    "150 with 1 row, 150 with 2 rows",
    "'c150' (1 row), 'c151' (1 row)",
    "and 295 more",
  );
  let message = "";
  try {
    stratifiedSplit(y, 300, 0.2, 1, names);
  } catch (e) {
    message = (e as Error).message;
  }
  assert.doesNotMatch(message, /test set empty/);
  // Without names the classes are numbered; a smaller test size needs more rows.
  await rejects(
    () => stratifiedSplit(y, 300, 0.1, 1),
    "BAD_SPLIT",
    "at least 5 rows",
    ": 150 (1 row)",
  );
  // One class big enough is enough: the small ones simply train.
  const mixed = Int32Array.from([...y, 7, 7, 7, 7]);
  assert.equal(stratifiedSplit(mixed, 300, 0.2, 1).test.length, 1);
});

Deno.test("split: k-fold tests every row exactly once", async () => {
  const y = Int32Array.from({ length: 103 }, (_, i) => (i % 10 < 3 ? 1 : i % 10 < 4 ? 2 : 0));
  const folds = stratifiedKFold(y, 3, 5, 3);
  assert.equal(folds.length, 5);
  const seen = new Int32Array(y.length);
  for (const { train, test } of folds) {
    assert.equal(train.length + test.length, y.length);
    for (const r of test) seen[r]++;
    const inTrain = new Set(train);
    assert.ok(test.every((r) => !inTrain.has(r)));
    assert.ok(Math.abs(test.length - y.length / 5) <= 1);
    for (const c of [0, 1, 2]) {
      const share = y.filter((v) => v === c).length / 5;
      assert.ok(Math.abs(subsetLabels(y, test).filter((v) => v === c).length - share) < 1);
    }
  }
  assert.ok(seen.every((n) => n === 1));
  assert.deepEqual(stratifiedKFold(y, 3, 5, 3), folds);
  await rejects(() => stratifiedKFold(y, 3, 1, 3), "BAD_SPLIT", "≥ 2");
  await rejects(() => stratifiedKFold(Int32Array.from([0, 0, 0, 1, 1]), 2, 3, 3), "BAD_SPLIT");
});

// --- Stats, drift, digest ----------------------------------------------------

Deno.test("stats: Telco feature statistics", async () => {
  const t = await telco();
  const schema = inferSchema(t, { target: "Churn" });
  const stats = featureStats(schema, t);
  assert.deepEqual(stats.map((s) => s.name), schema.features.map((f) => f.name));
  const total = stats.find((s) => s.name === "TotalCharges") as NumericStats;
  assert.equal(total.count, 7032);
  assert.equal(total.missing, 11);
  assert.equal(total.proportions.length, total.edges.length + 1);
  for (let i = 1; i < total.edges.length; i++) assert.ok(total.edges[i] > total.edges[i - 1]);
  for (const s of stats) {
    const sum = s.proportions.reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(sum - 1) < 1e-9, s.name);
  }
  // The same stats come out of the encoded matrix (up to float32 rounding).
  const { X } = encodeTable(schema, t, { requireTarget: false });
  const fromX = featureStats(schema, X);
  assert.deepEqual(
    fromX.find((s) => s.name === "Contract"),
    stats.find((s) => s.name === "Contract"),
  );
  assert.equal((fromX.find((s) => s.name === "TotalCharges") as NumericStats).missing, 11);
});

Deno.test("stats: psi is ~0 for the same distribution and large for a shift", async () => {
  const t = await telco();
  const schema = inferSchema(t, { target: "Churn" });
  const tenure = featureStats(schema, t).find((s) => s.name === "tenure") as NumericStats;
  const col = t.header.indexOf("tenure");
  const same = new Array(tenure.proportions.length).fill(0);
  const shifted = same.slice();
  for (const row of t.rows) {
    same[binNumeric(tenure, Number(row[col]))]++;
    shifted[binNumeric(tenure, Number(row[col]) + 24)]++;
  }
  assert.ok(psi(tenure.proportions, same) < 1e-9);
  assert.ok(psi(tenure.proportions, shifted) > 0.2);
  assert.ok(psi([0.5, 0.5], [0.5, 0.5]) === 0);
  assert.ok(psi([1, 0], [0, 1]) > 1); // empty bins use epsilon, not ln(0)
  assert.ok(Number.isNaN(psi([1, 1], [0, 0])));
  assert.equal(binNumeric(tenure, NaN), -1);
  assert.equal(binNumeric({ edges: [10, 20] }, 10), 0);
  assert.equal(binNumeric({ edges: [10, 20] }, 10.5), 1);
  assert.equal(binNumeric({ edges: [10, 20] }, 99), 2);
  const contract = schema.features.find((f) => f.name === "Contract")!;
  assert.ok(contract.kind === "categorical");
  assert.equal(binCategory(contract, "Two year"), 2);
  assert.equal(binCategory(contract, "Ten year"), -1);
  assert.equal(binCategory(contract, null), -1);
});

Deno.test("digest: content-only, short, stable; dataset name", async () => {
  const a = await digestTable(parseCsv("a,b\n1,2\n", "x.csv"));
  assert.match(a, /^[0-9a-f]{8}$/);
  assert.equal(await digestTable(parseCsv('\uFEFFa,b\r\n"1",2\r\n', "y.csv")), a);
  assert.notEqual(await digestTable(parseCsv("a,b\n1,3\n")), a);
  assert.notEqual(
    await digestTable(parseCsv("a,b\n12,\n")),
    await digestTable(parseCsv("a,b\n1,2\n")),
  );
  const t = await telco();
  assert.equal(await digestTable(t), await digestTable(t));
  assert.equal(datasetName("data/telco-customer-churn.csv"), "telco-customer-churn");
  assert.equal(datasetName("C:\\data\\x.y.csv"), "x.y");
  assert.equal(datasetName("noext"), "noext");
});

// A schema is plain JSON: it must survive the bundle round trip unchanged.
Deno.test("schema: JSON round trip encodes identically", async () => {
  const t = await telco();
  const schema = inferSchema(t, { target: "Churn" });
  const copy = JSON.parse(JSON.stringify(schema)) as DatasetSchema;
  const rows = { ...t, rows: t.rows.slice(0, 50) };
  assert.deepEqual(
    encodeTable(copy, rows, { requireTarget: true }),
    encodeTable(schema, rows, { requireTarget: true }),
  );
});
