"""Desktop front-ends that run the Processing algorithms: wizard, composition editor, training monitor, options page."""
