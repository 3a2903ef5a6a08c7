// Request validation. Bodies are validated strictly: no type coercion ("12" is not 12), unknown
// fields are errors rather than silently dropped (Fastify's default strips them), and every issue
// is reported at once. Query strings and path parameters arrive as text, so only they coerce.
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule, { type FormatsPlugin } from 'ajv-formats';
import type { FastifySchema, FastifySchemaCompiler } from 'fastify';

// ajv-formats is CommonJS with a default export; under NodeNext it arrives wrapped.
const formatsModule = addFormatsModule as unknown as FormatsPlugin & { default?: FormatsPlugin };
const addFormats: FormatsPlugin = formatsModule.default ?? formatsModule;

function makeAjv(coerceTypes: boolean): Ajv {
  const ajv = new Ajv({
    allErrors: true,
    removeAdditional: false,
    useDefaults: true,
    coerceTypes,
    strict: true,
  });
  addFormats(ajv, ['email', 'date-time', 'date', 'uri', 'uuid']);
  return ajv;
}

const strict = makeAjv(false);
const coercing = makeAjv(true);

/** Fastify validator compiler choosing the Ajv instance by request part. */
export const validatorCompiler: FastifySchemaCompiler<FastifySchema> = ({ schema, httpPart }) => {
  const ajv = httpPart === 'body' ? strict : coercing;
  const validate: ValidateFunction = ajv.compile(schema as object);
  return (data: unknown) =>
    validate(data)
      ? { value: data }
      : { error: Object.assign(new Error('validation'), { validation: validate.errors }) };
};
