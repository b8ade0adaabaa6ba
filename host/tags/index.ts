export { type DeriveTagsInput, deriveTags, type FinopsInput, type TagSet } from './derive.js';
export { tagsToKeyValue, tagsToTableProperties } from './flatten.js';
