// Renders /api/v1/openapi.json as a reference with a "Try it" form per operation.
// Self-contained on purpose: smsgate runs offline, so no CDN and no framework.
"use strict";

const SPEC_URL = "/api/v1/openapi.json";

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (key === "class") node.className = value;
    else node.setAttribute(key, value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function refName(ref) { return ref.split("/").pop(); }

function resolve(spec, schema) {
  let seen = 0;
  while (schema && schema.$ref && seen++ < 20) schema = spec.components.schemas[refName(schema.$ref)];
  return schema || {};
}

function typeOf(schema) {
  if (!schema) return "any";
  if (schema.$ref) return refName(schema.$ref);
  if (schema.anyOf) return schema.anyOf.map(typeOf).join(" | ");
  if (schema.enum) return schema.enum.map((v) => JSON.stringify(v)).join(" | ");
  if (schema.type === "array") return typeOf(schema.items) + "[]";
  if (schema.format) return `${schema.type} (${schema.format})`;
  return schema.type || "any";
}

function describe(schema) {
  const parts = [];
  const inner = schema.anyOf ? schema.anyOf.find((s) => s.description) || schema : schema;
  if (inner.description) parts.push(inner.description);
  for (const key of ["minLength", "maxLength", "minimum", "maximum", "maxItems"]) {
    if (inner[key] !== undefined) parts.push(`${key} ${inner[key]}`);
  }
  if (schema.default !== undefined && schema.default !== null) parts.push(`default ${JSON.stringify(schema.default)}`);
  return parts.join("; ");
}

function fieldsTable(spec, schema, depth = 0) {
  const object = resolve(spec, schema);
  if (object.type !== "object" || !object.properties) {
    return el("p", {}, el("span", { class: "type" }, typeOf(schema)));
  }
  const required = new Set(object.required || []);
  const rows = Object.entries(object.properties).map(([name, prop]) =>
    el("tr", {},
      el("td", {}, el("code", {}, name), required.has(name) ? el("span", { class: "req" }, " required") : null),
      el("td", {}, el("span", { class: "type" }, typeOf(prop))),
      el("td", {}, describe(prop))));
  const table = el("table", {}, el("tr", {}, el("th", {}, "field"), el("th", {}, "type"), el("th", {}, "notes")), rows);
  const nested = [];
  if (depth < 2) {
    for (const prop of Object.values(object.properties)) {
      const target = prop.$ref ? prop : prop.type === "array" && prop.items && prop.items.$ref ? prop.items : null;
      const resolved = target && resolve(spec, target);
      if (resolved && resolved.type === "object") {
        nested.push(el("p", {}, el("code", {}, refName(target.$ref))), fieldsTable(spec, target, depth + 1));
      }
    }
  }
  return el("div", {}, object.description ? el("p", {}, object.description) : null, table, nested);
}

function example(spec, schema, depth = 0) {
  const s = resolve(spec, schema);
  if (s.examples) return s.examples[0];
  if (s.anyOf) return example(spec, s.anyOf.find((x) => x.type !== "null") || s.anyOf[0], depth);
  if (s.enum) return s.enum[0];
  if (s.type === "object" && depth < 3) {
    const out = {};
    for (const name of s.required || []) out[name] = example(spec, s.properties[name], depth + 1);
    return out;
  }
  if (s.type === "array") return [example(spec, s.items, depth + 1)];
  return { string: "text", integer: 0, number: 0, boolean: false }[s.type] ?? null;
}

function tryIt(spec, path, method, op) {
  const params = op.parameters || [];
  const inputs = params.map((p) => {
    const input = el("input", { "data-name": p.name, "data-in": p.in, placeholder: p.in });
    return el("tr", {}, el("td", {}, el("code", {}, p.name)), el("td", {}, input));
  });
  const body = op.requestBody
    ? el("textarea", { spellcheck: "false" },
        JSON.stringify(example(spec, op.requestBody.content["application/json"].schema), null, 2))
    : null;
  const output = el("pre", {}, "");
  const button = el("button", { type: "button" }, "Send");
  button.addEventListener("click", async () => {
    let url = path;
    const query = new URLSearchParams();
    for (const input of button.parentNode.querySelectorAll("input[data-name]")) {
      if (!input.value) continue;
      if (input.dataset.in === "path") url = url.replace(`{${input.dataset.name}}`, encodeURIComponent(input.value));
      else query.append(input.dataset.name, input.value);
    }
    if ([...query].length) url += "?" + query;
    const headers = {};
    const auth = document.getElementById("auth-header").value.trim();
    if (auth) headers.Authorization = auth;
    if (body) headers["Content-Type"] = "application/json";
    output.textContent = "...";
    try {
      const response = await fetch(url, { method: method.toUpperCase(), headers, body: body ? body.value : undefined });
      const text = await response.text();
      let shown = text;
      try { shown = JSON.stringify(JSON.parse(text), null, 2); } catch (_) { /* not JSON */ }
      output.textContent = `${response.status} ${response.statusText}\n\n${shown}`;
    } catch (error) {
      output.textContent = String(error);
    }
  });
  return el("details", {}, el("summary", {}, "Try it"),
    el("div", {}, inputs.length ? el("table", {}, inputs) : null, body, button, output));
}

function operation(spec, path, method, op) {
  const secured = op.security === undefined ? (spec.security || []).length > 0 : op.security.length > 0;
  const section = el("section", { class: "op", id: op.operationId },
    el("div", {}, el("span", { class: `method ${method}` }, method.toUpperCase()),
      el("span", { class: "path" }, path), secured ? el("span", { class: "lock" }, "auth") : null),
    el("p", {}, el("strong", {}, op.summary || "")),
    op.description ? el("p", { class: "markdown" }, op.description) : null);
  if (op.parameters && op.parameters.length) {
    section.append(el("h4", {}, "Parameters"), el("table", {},
      op.parameters.map((p) => el("tr", {},
        el("td", {}, el("code", {}, p.name), p.required ? el("span", { class: "req" }, " required") : null),
        el("td", {}, p.in), el("td", {}, el("span", { class: "type" }, typeOf(p.schema))),
        el("td", {}, p.description || "")))));
  }
  if (op.requestBody) {
    const schema = op.requestBody.content["application/json"].schema;
    section.append(el("h4", {}, "Request body"), fieldsTable(spec, schema));
  }
  section.append(el("h4", {}, "Responses"));
  for (const [status, response] of Object.entries(op.responses || {})) {
    const [media, content] = Object.entries(response.content || {})[0] || [];
    const row = el("div", {}, el("span", { class: "status" }, status), " ", response.description,
      media ? el("span", { class: "type" }, `  ${media}: ${typeOf(content.schema)}`) : null);
    if (status.startsWith("2") && content && content.schema && content.schema.$ref) {
      section.append(el("details", {}, el("summary", {}, row), fieldsTable(spec, content.schema)));
    } else {
      section.append(row);
    }
  }
  section.append(tryIt(spec, path, method, op));
  return section;
}

function render(spec) {
  document.getElementById("title").textContent = spec.info.title;
  document.getElementById("version").textContent = `version ${spec.info.version} · ${SPEC_URL}`;
  const content = document.getElementById("content");
  const toc = document.getElementById("toc");
  content.replaceChildren(el("p", { class: "markdown" }, spec.info.description || ""));
  const byTag = new Map();
  for (const [path, methods] of Object.entries(spec.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const tag = (op.tags || ["other"])[0];
      if (!byTag.has(tag)) byTag.set(tag, []);
      byTag.get(tag).push([path, method, op]);
    }
  }
  for (const [tag, ops] of byTag) {
    toc.append(el("h3", {}, tag));
    content.append(el("h2", {}, tag));
    for (const [path, method, op] of ops) {
      toc.append(el("a", { href: `#${op.operationId}` }, `${method.toUpperCase()} ${path}`));
      content.append(operation(spec, path, method, op));
    }
  }
  const error = spec.components.schemas.ErrorBody;
  if (error) content.append(el("h2", {}, "Errors"), fieldsTable(spec, { $ref: "#/components/schemas/ErrorBody" }));
}

fetch(SPEC_URL)
  .then((response) => response.json())
  .then(render)
  .catch((error) => {
    document.getElementById("content").replaceChildren(el("p", {}, `Could not load ${SPEC_URL}: ${error}`));
  });
