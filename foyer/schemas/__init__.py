"""Request and response models (XCreate / XUpdate / XRead / XPage), one module per resource."""
