"""The For You recommender: ratings from signals, Surprise training, exported models, serving."""
