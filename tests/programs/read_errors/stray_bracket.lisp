# A closing bracket with nothing open.
(println "never printed")
]
# expect read error: ]
