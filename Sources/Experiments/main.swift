print("experiments: being assembled")
