// The library users import: `import ConvNet`. It re-exports the core (tensors, autodiff,
// operators, backends); modules, optimizers, data and models build on it here.
@_exported import ConvNetCore
