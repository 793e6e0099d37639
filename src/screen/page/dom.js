/**
 * Builds one element: attributes by name (`class`, `value` and the `onclick`/`onsubmit`
 * handlers set as properties and listeners; `cssVars` through the CSSOM, as the CSP forbids
 * style attributes; false, null and undefined left out, true as an empty attribute), then the
 * children, nested arrays flattened, text as text nodes.
 */
export function el(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (key === 'onclick') element.addEventListener('click', value);
    else if (key === 'onsubmit') element.addEventListener('submit', value);
    else if (key === 'cssVars')
      for (const [name, v] of Object.entries(value)) element.style.setProperty(name, String(v));
    else if (key === 'class') element.className = value;
    else if (key === 'value') element.value = value;
    else if (value === false || value === null || value === undefined) continue;
    else element.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat(Number.POSITIVE_INFINITY)) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}
