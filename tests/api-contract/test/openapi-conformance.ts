import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';

/** The parts of an OpenAPI 3.1 document the conformance check reads. */
interface MediaType {
  schema?: object;
}
interface Header {
  required?: boolean;
  schema?: object;
}
interface ResponseObject {
  content?: Record<string, MediaType>;
  headers?: Record<string, Header>;
}
interface Operation {
  operationId?: string;
  responses: Record<string, ResponseObject>;
}
export interface OpenApiDocument {
  openapi: string;
  info: { title: string };
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, object> };
}

/** A real answer of a running service, as fetch gave it. */
export interface Answer {
  method: string;
  /** The path the request was sent to, without the query. */
  path: string;
  status: number;
  headers: Headers;
  /** The parsed JSON body, or the text when the answer is not JSON. */
  body: unknown;
}

const COMPONENTS_ID = 'components.json';

/**
 * Checks answers against one service's OpenAPI document: the path and method are an operation of
 * it, the status one of that operation's responses (exact, then `4XX`-style, then `default`), the
 * content type one the response lists, the JSON body valid against its schema (Ajv, JSON Schema
 * 2020-12, strict) and every required header present and valid.
 */
export class ConformanceChecker {
  private readonly ajv = new Ajv2020({
    strict: true,
    allErrors: true,
    // OpenAPI 3.1 spells a nullable field as a type array, such as ["string", "null"].
    allowUnionTypes: true,
  });
  private readonly validators = new Map<object, ValidateFunction>();
  /** The operations answered so far, as `METHOD path-template`. */
  readonly answered = new Set<string>();

  constructor(readonly document: OpenApiDocument) {
    addFormats(this.ajv);
    // Keywords of OpenAPI's own schema vocabulary, beside JSON Schema's.
    this.ajv.addVocabulary(['example', 'discriminator', 'xml', 'externalDocs']);
    // The component schemas become the $defs of one schema, so `#/components/schemas/X` references resolve.
    this.ajv.addSchema({ $id: COMPONENTS_ID, $defs: rewriteRefs(document.components?.schemas ?? {}) });
  }

  /** Every operation of the document, as `METHOD path-template`. */
  operations(): string[] {
    return Object.entries(this.document.paths).flatMap(([template, item]) =>
      Object.keys(item).map((method) => `${method.toUpperCase()} ${template}`),
    );
  }

  /** What is wrong with the answer against the document; empty when it conforms. */
  problems(answer: Answer): string[] {
    const template = this.pathTemplate(answer.path);
    if (!template) return [`${answer.path} is no path of the document`];
    const operation = this.document.paths[template]?.[answer.method.toLowerCase()];
    if (!operation) return [`${answer.method} ${template} is no operation of the document`];
    this.answered.add(`${answer.method} ${template}`);
    const where = `${answer.method} ${template} ${answer.status}`;
    const { responses } = operation;
    const response = responses[String(answer.status)] ?? responses[`${String(answer.status)[0]}XX`] ?? responses.default;
    if (!response) return [`${where}: the status is not documented (documented: ${Object.keys(responses).join(', ')})`];

    const problems: string[] = [];
    for (const [name, header] of Object.entries(response.headers ?? {})) {
      const value = answer.headers.get(name);
      if (value === null) {
        if (header.required) problems.push(`${where}: the required header ${name} is missing`);
        continue;
      }
      if (header.schema) problems.push(...this.validate(header.schema, value).map((problem) => `${where}: header ${name} ${problem}`));
    }

    const contentType = answer.headers.get('content-type')?.split(';')[0]?.trim().toLowerCase();
    if (!response.content) {
      if (contentType !== undefined) problems.push(`${where}: answered ${contentType}, but the response has no content`);
      return problems;
    }
    const media = contentType === undefined ? undefined : response.content[contentType];
    if (!media) {
      problems.push(`${where}: answered ${contentType ?? 'no content type'}, documented ${Object.keys(response.content).join(', ')}`);
      return problems;
    }
    if (contentType === 'application/json' && media.schema) {
      problems.push(...this.validate(media.schema, answer.body).map((problem) => `${where}: body ${problem}`));
    }
    return problems;
  }

  private pathTemplate(path: string): string | undefined {
    const templates = Object.keys(this.document.paths);
    // A literal path wins over a template that also matches it, as OpenAPI says.
    if (templates.includes(path)) return path;
    return templates.find((template) => {
      const pattern = template
        .split(/\{[^}]+\}/)
        .map(escapeRegExp)
        .join('[^/]+');
      return new RegExp(`^${pattern}$`).test(path);
    });
  }

  private validate(schema: object, value: unknown): string[] {
    let validator = this.validators.get(schema);
    if (!validator) {
      validator = this.ajv.compile(rewriteRefs(schema));
      this.validators.set(schema, validator);
    }
    if (validator(value)) return [];
    return (validator.errors ?? []).map(
      (error) => `${error.instancePath || '(root)'} ${error.message ?? 'is invalid'} ${JSON.stringify(error.params)} (${error.schemaPath})`,
    );
  }
}

/** The schema with its `#/components/schemas/X` references pointing into the components schema Ajv holds. */
function rewriteRefs<T>(schema: T): T {
  return JSON.parse(JSON.stringify(schema).replaceAll('"#/components/schemas/', `"${COMPONENTS_ID}#/$defs/`)) as T;
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
