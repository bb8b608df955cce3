"""Dispatch suggestion (智能派单): the topic and the handling department for what the agent types.

Learned from the centre's own history (``history``): a department that accepted
(签收) a ticket is a positive example for it; one that returned it (退单) or had
it taken away by a re-dispatch (改派) is a negative example for that
department. The model (``model``) is small: TF-IDF over jieba-segmented words
and one logistic regression per department; it is stored with its version and
training date (``store``) and retrained by an rq job (``jobs``). It only
suggests: the agent always chooses the department.
"""
