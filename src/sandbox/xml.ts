// A tiny XML writer for the sandbox's Query-protocol answers (EC2, STS). Elements are
// plain objects; rendering escapes every text and attribute value. `undefined` children
// are skipped, which is how optional members are omitted (AWS leaves absent members out
// rather than sending empty elements).

export interface XmlElement {
  name: string;
  attrs?: Record<string, string>;
  text?: string;
  children?: XmlElement[];
}

export type XmlChild = XmlElement | undefined;

// An element with child elements.
export function el(name: string, ...children: XmlChild[]): XmlElement {
  return { name, children: children.filter((c): c is XmlElement => c !== undefined) };
}

// An element holding a text value; undefined omits the element, '' renders <name/>.
export function leaf(name: string, value: string | number | boolean | undefined): XmlElement | undefined {
  return value === undefined ? undefined : { name, text: String(value) };
}

// An EC2-style list: <name><item>…</item>…</name>; an empty list renders <name/>.
export function itemList<T>(name: string, values: readonly T[], item: (value: T) => XmlChild[]): XmlElement {
  return el(name, ...values.map((v) => el('item', ...item(v))));
}

export function withAttrs(element: XmlElement, attrs: Record<string, string>): XmlElement {
  return { ...element, attrs: { ...element.attrs, ...attrs } };
}

// Characters XML 1.0 cannot carry at all (most C0 controls, lone surrogates, U+FFFE/F).
// They can only come from user data such as tag values; they become U+FFFD.
const INVALID_XML_CHARS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

export function escapeXml(value: string): string {
  return value.replace(INVALID_XML_CHARS, '\uFFFD').replace(/[&<>"'\r]/g, (c) => {
    switch (c) {
      case '&':
        return '&amp;';
      case '<':
        return '&lt;';
      case '>':
        return '&gt;';
      case '"':
        return '&quot;';
      case "'":
        return '&apos;';
      default:
        return '&#13;'; // a raw CR would be normalised away by the parser
    }
  });
}

function open(element: XmlElement): string {
  const attrs = Object.entries(element.attrs ?? {})
    .map(([k, v]) => ` ${k}="${escapeXml(v)}"`)
    .join('');
  return `<${element.name}${attrs}`;
}

function render(element: XmlElement, indent: string | undefined, depth: number): string {
  const pad = indent === undefined ? '' : indent.repeat(depth);
  const nl = indent === undefined ? '' : '\n';
  const children = element.children ?? [];
  if (element.text !== undefined && element.text !== '') {
    return `${pad}${open(element)}>${escapeXml(element.text)}</${element.name}>${nl}`;
  }
  if (children.length === 0) return `${pad}${open(element)}/>${nl}`;
  const inner = children.map((c) => render(c, indent, depth + 1)).join('');
  return `${pad}${open(element)}>${nl}${inner}${pad}</${element.name}>${nl}`;
}

// A whole document with the XML declaration. EC2 and STS pretty-print successful
// answers with 4 spaces; their error documents are one line (eice.md §2.1).
export function renderXml(root: XmlElement, options: { pretty?: boolean } = {}): string {
  const body = render(root, options.pretty ? '    ' : undefined, 0);
  return `<?xml version="1.0" encoding="UTF-8"?>\n${body.endsWith('\n') ? body : `${body}\n`}`;
}
