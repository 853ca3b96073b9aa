// Modal questions: a confirmation for destructive actions, or a small form. Resolves to the
// form's values, or null when cancelled.
import { h } from "./dom.js";

/**
 * ask({ title, text, fields: [{ name, label, type, value, options, placeholder }],
 *       confirm: "Delete", danger: true, typeToConfirm: "web1" })
 */
export function ask(opts) {
  return new Promise((resolve) => {
    const inputs = [];
    const fields = (opts.fields ?? []).map((f) => {
      let input;
      if (f.options) {
        input = h(
          "select",
          { name: f.name },
          ...f.options.map(([value, label]) =>
            h("option", { value, selected: value === f.value }, label),
          ),
        );
      } else {
        input = h("input", {
          name: f.name,
          type: f.type ?? "text",
          value: f.value ?? "",
          placeholder: f.placeholder ?? "",
          required: f.required !== false,
          min: f.min,
          step: f.step,
        });
      }
      inputs.push(input);
      return f.inline ? input : h("label", {}, f.label, input);
    });
    const confirmInput = opts.typeToConfirm
      ? h("input", {
          name: "__confirm",
          autocomplete: "off",
          "aria-label": `Type ${opts.typeToConfirm} to confirm`,
        })
      : null;
    const ok = h(
      "button",
      { class: `btn ${opts.danger ? "danger solid" : "primary"}`, type: "submit", value: "ok" },
      opts.confirm ?? "OK",
    );
    const cancel = h("button", { class: "btn", type: "button" }, "Cancel");
    const form = h(
      "form",
      { method: "dialog" },
      h("h2", {}, opts.title),
      opts.text ? h("p", {}, opts.text) : null,
      opts.fieldsRow ? h("div", { class: "row" }, fields) : fields,
      confirmInput
        ? h(
            "label",
            {},
            h("span", {}, "Type ", h("b", {}, opts.typeToConfirm), " to confirm"),
            confirmInput,
          )
        : null,
      h("div", { class: "buttons" }, cancel, ok),
    );
    const dlg = h("dialog", { class: "ask" }, form);
    if (confirmInput) {
      ok.disabled = true;
      confirmInput.addEventListener("input", () => {
        ok.disabled = confirmInput.value !== opts.typeToConfirm;
      });
    }
    let result = null;
    cancel.addEventListener("click", () => dlg.close());
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      result = Object.fromEntries(inputs.map((i) => [i.name, i.value]));
      dlg.close();
    });
    dlg.addEventListener("close", () => {
      dlg.remove();
      resolve(result);
    });
    document.body.append(dlg);
    dlg.showModal();
    (inputs[0] ?? confirmInput ?? ok).focus();
  });
}
