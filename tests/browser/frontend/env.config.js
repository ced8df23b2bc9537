// frontend-platform imports an optional site configuration module, 'env.config'; this replay has none.
export default {};
